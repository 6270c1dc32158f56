import { KtapeError } from '../formats/errors.js';

/** An export step failed for a reason other than a bad capture or bad flags (exit 1). */
export class ExportError extends KtapeError {
  constructor(code: string, message: string) {
    super(code, message, 1);
  }
}
