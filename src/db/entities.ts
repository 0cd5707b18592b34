import { Comment } from '../modules/comment/comment.entity';
import { BoardWatcher } from '../modules/presence/presence.entity';
import { Department } from '../modules/department/department.entity';
import { OutboxEvent, OutboxSequence } from '../modules/events/outbox.entity';
import { Indicator } from '../modules/indicator/indicator.entity';
import { Programme } from '../modules/programme/programme.entity';
import { Region } from '../modules/region/region.entity';
import { Submission } from '../modules/submission/submission.entity';
import { Target } from '../modules/target/target.entity';
import { User } from '../modules/user/user.entity';
import { AuthSession } from '../modules/user/session.entity';
import { LoginAttempt } from '../modules/user/login-attempt.entity';
import { AuditEntry } from '../modules/audit/audit.entity';
import { Urge } from '../modules/urge/urge.entity';
import { ProgressRollup, ProjectionState, RegionCount } from '../modules/projection/projection.entity';
import { ScoreWeight } from '../modules/ranking/score-weight.entity';
import { Notice, NoticeStep } from '../modules/notice/notice.entity';
import { NoticeRules, NoticeSweep } from '../modules/notice/notice-rules.entity';
import { Trajectory } from '../modules/trajectory/trajectory.entity';
import { Channel, Delivery, DeliveryCursor } from '../modules/channel/channel.entity';

export const entities = [Region, Department, Programme, Indicator, Target, Submission, User, OutboxEvent, OutboxSequence, Comment, BoardWatcher,
  AuthSession, LoginAttempt, AuditEntry, Urge, ProgressRollup, RegionCount, ProjectionState, ScoreWeight, Notice, NoticeStep, NoticeRules, NoticeSweep, Trajectory,
  Channel, Delivery, DeliveryCursor];
