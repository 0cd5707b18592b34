import { Field, ID, InputType } from 'type-graphql';
import { ChannelEvent, ChannelKind } from './channel.entity';

@InputType({ description: 'A channel messages go out to. The secret is written here and never read back.' })
export class CreateChannelInput {
  @Field({ description: 'What the channel is, for people ("养老服务处工作群").' })
  name!: string;

  @Field(() => ChannelKind)
  kind!: ChannelKind;

  @Field({ description: 'The receiver: http:// or https:// (a DingTalk robot\'s is https://oapi.dingtalk.com/robot/send?access_token=…).' })
  url!: string;

  @Field(() => String, { nullable: true, description: 'DingTalk\'s 加签 secret (SEC…), or the webhook\'s HMAC key. Write-only.' })
  secret?: string | null;

  @Field(() => [String], { nullable: true, description: 'Programme codes; empty or absent: every programme.' })
  programmes?: string[];

  @Field(() => [String], { nullable: true, description: 'Region codes, each with its subtree; empty or absent: everywhere.' })
  regions?: string[];

  @Field(() => [ChannelEvent], { nullable: true, description: 'Kinds of event; empty or absent: every kind.' })
  events?: ChannelEvent[];
}

@InputType({ description: 'Changes a channel: what is given is replaced; the secret is kept unless given (null removes it).' })
export class UpdateChannelInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  url?: string;

  @Field(() => String, { nullable: true })
  secret?: string | null;

  @Field(() => [String], { nullable: true })
  programmes?: string[];

  @Field(() => [String], { nullable: true })
  regions?: string[];

  @Field(() => [ChannelEvent], { nullable: true })
  events?: ChannelEvent[];
}
