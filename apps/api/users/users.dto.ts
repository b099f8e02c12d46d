import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

// Shapes only: the domain's rules (email form, name lengths) answer 400 with the field named.

export class RegisterUserDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @MaxLength(100)
  displayName!: string;
}

export class IssueTokenDto {
  @ApiProperty({ example: 'ci' })
  @IsString()
  @MaxLength(100)
  name!: string;
}

export class UserView {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: 'active' | 'suspended';
}

export class RegisteredUserView {
  @ApiProperty() user!: UserView;
  @ApiProperty({ description: 'The API token in plaintext: shown this once, never again.' }) token!: string;
  @ApiProperty({ description: 'Consistency token of the command' }) position!: string;
}

export class IssuedTokenView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First 8 characters, as token lists show it' }) prefix!: string;
  @ApiProperty({ description: 'The token in plaintext: shown this once, never again.' }) token!: string;
  @ApiProperty() position!: string;
}
