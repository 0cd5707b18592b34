import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { BoardScope } from './session.entity';
import { Role } from './user.entity';

@InputType()
export class CreateUserInput {
  @Field({ description: 'Letters, digits, . _ - ; 3 to 64.' })
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3 to 64 letters, digits, dots, underscores or hyphens' })
  username!: string;

  @Field({ description: 'At least 8 characters.' })
  @Length(8, 200, { message: 'password must be 8 to 200 characters' })
  password!: string;

  @Field(() => Role)
  role!: Role;

  @Field({ nullable: true, description: 'Region code: the subtree the user acts and reads in. Required for REPORTER.' })
  @IsOptional()
  region?: string;

  @Field({ nullable: true, description: 'Department name: required for DEPARTMENT.' })
  @IsOptional()
  department?: string;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateUserInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field({ nullable: true, description: 'Region code; an empty string clears the scope.' })
  region?: string;

  @Field({ nullable: true, description: 'Department name; an empty string clears it.' })
  department?: string;

  @Field({ nullable: true })
  @IsOptional()
  @Length(8, 200, { message: 'password must be 8 to 200 characters' })
  password?: string;

  @Field({ nullable: true, description: 'True disables the account (its sessions stop working); false enables it again.' })
  disabled?: boolean;
}

@InputType()
export class CreateScreenTokenInput {
  @Field({ description: 'The screen\'s name, as watchers will see it (三楼会议室).' })
  @Length(1, 60, { message: 'name must be 1 to 60 characters' })
  name!: string;

  @Field(() => [BoardScope], { description: 'The boards it may show; 1 to 20.' })
  @ArrayMinSize(1, { message: 'a screen token needs at least one board' })
  @ArrayMaxSize(20, { message: 'at most 20 boards' })
  boards!: BoardScope[];

  @Field(() => Int, { defaultValue: 365, description: 'Days until it expires: 1 to 730.' })
  @Min(1)
  @Max(730)
  days: number = 365;
}
