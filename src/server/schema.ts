import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, type AuthChecker } from 'type-graphql';
import { BoardResolver } from '../modules/board/board.resolver';
import { CommentAdded, ProgrammeChanged, ProgressChanged, SubmissionReviewed, TargetChanged, UrgeChanged } from '../modules/board/board.types';
import { AuditResolver } from '../modules/audit/audit.resolver';
import { UrgeResolver } from '../modules/urge/urge.resolver';
import { CommentResolver } from '../modules/comment/comment.resolver';
import { NotificationResolver } from '../modules/notification/notification.resolver';
import { PresenceChanged } from '../modules/presence/presence.types';
import { IndicatorResolver } from '../modules/indicator/indicator.resolver';
import { ProgrammeResolver } from '../modules/programme/programme.resolver';
import { IndicatorProgressResolver, ProgressResolver } from '../modules/progress/progress.resolver';
import { RegionResolver } from '../modules/region/region.resolver';
import { SubmissionResolver, SubmitFigurePayloadResolver, SubmitFiguresPayloadResolver } from '../modules/submission/submission.resolver';
import { TargetResolver } from '../modules/target/target.resolver';
import { AuthResolver } from '../modules/user/auth.resolver';
import { NodeResolver } from '../modules/node/node.resolver';
import { ProgrammeScoreResolver, RankingResolver } from '../modules/ranking/ranking.resolver';
import { NoticeResolver, ProgrammeNoticeRulesResolver } from '../modules/notice/notice.resolver';
import { NoticeChanged } from '../modules/notice/notice.types';
import { ChannelResolver, DeliveryResolver } from '../modules/channel/channel.resolver';
import { TargetTrajectoryResolver } from '../modules/trajectory/trajectory.resolver';
import { requireRole, requireUser, type Context } from '../core/context';
import type { Role } from '../modules/user/user.entity';

/** `@Authorized()` needs a signed-in user; `@Authorized(roles)` one of those roles. */
const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  if (roles.length) requireRole(context, ...(roles as Role[]));
  else requireUser(context);
  return true;
};

let schema: GraphQLSchema | undefined;

/** The schema, built once per process from the resolvers' decorators. */
export function buildSchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: [AuthResolver, RegionResolver, ProgrammeResolver, IndicatorResolver, IndicatorProgressResolver, ProgressResolver,
      TargetResolver, SubmissionResolver, SubmitFigurePayloadResolver, SubmitFiguresPayloadResolver, CommentResolver, BoardResolver, NotificationResolver, UrgeResolver, AuditResolver,
      RankingResolver, ProgrammeScoreResolver, NoticeResolver, ProgrammeNoticeRulesResolver,
      TargetTrajectoryResolver, ChannelResolver, DeliveryResolver, NodeResolver],
    orphanedTypes: [ProgressChanged, TargetChanged, SubmissionReviewed, CommentAdded, PresenceChanged, UrgeChanged, ProgrammeChanged, NoticeChanged],
    authChecker,
    // Every subscription here brings its own `subscribe` (from the server's LiveHub); type-graphql
    // still asks for a PubSub, which nothing publishes to.
    pubSub: {
      publish: () => { throw new Error('subscriptions publish through the LiveHub'); },
      subscribe: () => { throw new Error('subscriptions subscribe through the LiveHub'); },
    },
    validate: { forbidUnknownValues: false },
  });
  return schema;
}

/** The schema as frontend teams read it: SDL, sorted. */
export function printSortedSchema(): string {
  return printSchema(lexicographicSortSchema(buildSchema()));
}
