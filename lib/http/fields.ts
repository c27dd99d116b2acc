// Input checks shared by route handlers and domain functions. Each check names its field in the
// message ("Email is not a valid address"), and `validateFields` reports every bad field at once so a
// form can show each message next to its input.
import { ROLES, type Role } from "../auth/roles";
import { ValidationError, type FieldErrors } from "./errors";

export const LIMITS = {
  emailMax: 254,
  nameMax: 100,
  passwordMin: 8,
  // scrypt copes with long input, but an unbounded password is a cheap way to burn CPU.
  passwordMax: 200,
} as const;

/** A failed check of one field; `validateFields` collects these into one ValidationError. */
class FieldProblem extends Error {}

// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by the invite.
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function emailField(value: unknown, label = "Email"): string {
  if (typeof value !== "string" || value.trim() === "") throw new FieldProblem(`${label} is required.`);
  const email = value.trim().toLowerCase();
  if (email.length > LIMITS.emailMax) throw new FieldProblem(`${label} must be at most ${LIMITS.emailMax} characters.`);
  if (!EMAIL_RE.test(email)) throw new FieldProblem(`${label} is not a valid email address.`);
  return email;
}

export function passwordField(value: unknown, label = "Password"): string {
  if (typeof value !== "string" || value === "") throw new FieldProblem(`${label} must not be empty.`);
  if (value.length < LIMITS.passwordMin) throw new FieldProblem(`${label} must be at least ${LIMITS.passwordMin} characters.`);
  if (value.length > LIMITS.passwordMax) throw new FieldProblem(`${label} must be at most ${LIMITS.passwordMax} characters.`);
  return value;
}

/** A display name (person, organization, project, key). Trimmed; control characters refused. */
export function nameField(value: unknown, label: string, opts: { optional?: boolean; max?: number } = {}): string {
  const max = opts.max ?? LIMITS.nameMax;
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
    if (opts.optional) return "";
    throw new FieldProblem(`${label} is required.`);
  }
  if (typeof value !== "string") throw new FieldProblem(`${label} must be text.`);
  const name = value.trim();
  if (name.length > max) throw new FieldProblem(`${label} must be at most ${max} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new FieldProblem(`${label} must not contain control characters.`);
  return name;
}

export function roleField(value: unknown, label = "Role"): Role {
  if (typeof value !== "string" || !(ROLES as readonly string[]).includes(value)) {
    throw new FieldProblem(`${label} must be one of ${ROLES.join(", ")}.`);
  }
  return value as Role;
}

export function timezoneField(value: unknown, label = "Timezone"): string {
  if (typeof value !== "string" || value.trim() === "") throw new FieldProblem(`${label} is required.`);
  const tz = value.trim();
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
  } catch {
    throw new FieldProblem(`${label} "${tz.slice(0, 60)}" is not a known IANA time zone (e.g. Europe/Paris).`);
  }
  return tz;
}

type Checks = Record<string, () => unknown>;
type Checked<C extends Checks> = { [K in keyof C]: ReturnType<C[K]> };

/**
 * Run one check per field and return the cleaned values, or throw a ValidationError listing every
 * field that failed (`{ email: "Email is not a valid email address." }`).
 */
export function validateFields<C extends Checks>(checks: C): Checked<C> {
  const out: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const [field, check] of Object.entries(checks)) {
    try {
      out[field] = check();
    } catch (err) {
      if (err instanceof FieldProblem) errors[field] = err.message;
      else throw err;
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return out as Checked<C>;
}

/** The request's JSON object body, or a 400 saying what is wrong with it. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw ValidationError.field("body", "Request body must be valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw ValidationError.field("body", "Request body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}
