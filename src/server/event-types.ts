import type { EventType } from '../modules/events/event-builder';
import { commentAdded } from '../modules/comment/comment.events';
import { noticeChanged } from '../modules/notice/notice.events';
import { notification } from '../modules/notification/notification.events';
import { presenceChanged } from '../modules/presence/presence.events';
import { programmeChanged } from '../modules/programme/programme.events';
import { progressChanged } from '../modules/progress/progress.events';
import { submissionReviewed } from '../modules/submission/submission.events';
import { targetChanged } from '../modules/target/target.events';
import { urgeChanged } from '../modules/urge/urge.events';
import { sessionChanged } from '../modules/user/session-events';

/** Every outbox type a subscriber (or a socket's session watch) receives, each declared by its module; as schema.ts lists the resolvers. */
export const EVENT_TYPES: readonly EventType[] = [
  progressChanged, targetChanged, submissionReviewed, commentAdded, urgeChanged, programmeChanged, noticeChanged, presenceChanged, notification, sessionChanged,
];
