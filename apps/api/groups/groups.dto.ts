import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateGroupDto {
  @ApiProperty({ example: 'Designers' })
  @IsString()
  name!: string;
}

export class GroupView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
}

export class CreatedGroupView {
  @ApiProperty() group!: GroupView;
  @ApiProperty() position!: string;
}

export class GroupMemberView {
  @ApiProperty() groupId!: string;
  @ApiProperty() userId!: string;
  @ApiProperty() position!: string;
}
