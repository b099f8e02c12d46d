import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { isUuid } from '../../../libs/domain/kernel/index.js';
import { ProblemError } from './problem-details.js';

/** A path parameter that must be a UUID: otherwise 400 naming the parameter (DESIGN.md §5). */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value)) {
      const field = metadata.data ?? 'id';
      throw ProblemError.of(400, 'REQUEST.INVALID', `${field} must be a UUID`, [
        { field, message: 'must be a UUID' },
      ]);
    }
    return value.toLowerCase();
  }
}
