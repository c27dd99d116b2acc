// Typed errors that domain code throws and route handlers / pages map to HTTP answers.
// Not-a-member is a 404, never a 403, so an outsider cannot learn that an organization exists.

export type FieldErrors = Record<string, string>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401: no valid session. */
export class UnauthenticatedError extends HttpError {
  constructor(message = "Sign in to continue.") {
    super(401, message);
  }
}

/** 404: the thing does not exist, or the caller may not know that it exists. */
export class NotFoundError extends HttpError {
  constructor(message = "Not found.") {
    super(404, message);
  }
}

/** 403: a member whose role is too low for this action. */
export class ForbiddenError extends HttpError {
  constructor(message = "Your role does not allow this.") {
    super(403, message);
  }
}

/** 400 (or 409 for conflicts such as a duplicate email): bad input, with a message per field. */
export class ValidationError extends HttpError {
  constructor(
    readonly fields: FieldErrors,
    status = 400,
  ) {
    super(status, Object.values(fields)[0] ?? "Invalid input.");
  }

  static field(field: string, message: string, status = 400): ValidationError {
    return new ValidationError({ [field]: message }, status);
  }
}

export type ErrorBody = { error: string; fields?: FieldErrors };

/** JSON answer for an error; unknown errors become a 500 without leaking their message. */
export function errorResponse(err: unknown): Response {
  if (err instanceof ValidationError) {
    return Response.json({ error: err.message, fields: err.fields } satisfies ErrorBody, { status: err.status });
  }
  if (err instanceof HttpError) {
    return Response.json({ error: err.message } satisfies ErrorBody, { status: err.status });
  }
  console.error(err);
  return Response.json({ error: "Internal error." } satisfies ErrorBody, { status: 500 });
}
