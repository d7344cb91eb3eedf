/** An HTTP failure the server answers as `{ error: { code, message } }` with its own status and code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    /** Stable code for clients (beside the library's ErrorCode values): MULTIPART_INVALID, NOT_FOUND, ... */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The JSON body of every error answer. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
