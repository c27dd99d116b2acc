// Sign-up with email + password: a user, their personal organization (OWNER) and a first project,
// created in one transaction so a half-made account cannot exist.
import { db } from "../db/client";
import { ValidationError } from "../http/errors";
import { emailField, nameField, passwordField, validateFields } from "../http/fields";
import { createOrganization, isUniqueViolation } from "../orgs/organizations";
import { createProject } from "../orgs/projects";
import { hashPassword } from "./password";

export const DUPLICATE_EMAIL_MESSAGE = "An account with this email already exists.";
export const FIRST_PROJECT_NAME = "My first project";

export function personalOrganizationName(name: string | null, email: string): string {
  const who = name?.trim() || email.split("@")[0];
  return `${who}'s organization`.slice(0, 100);
}

/** Make a user with a personal organization and first project (inside one transaction). */
export async function createUserWithWorkspace(input: { email: string; name: string | null; passwordHash: string | null }) {
  return db.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash: input.passwordHash } });
    const organization = await createOrganization({ name: personalOrganizationName(input.name, input.email), ownerUserId: user.id }, tx);
    const project = await createProject({ organizationId: organization.id, name: FIRST_PROJECT_NAME, actorUserId: user.id }, tx);
    return { user, organization, project };
  });
}

export async function signUp(input: { email: unknown; password: unknown; name: unknown }) {
  const { email, password, name } = validateFields({
    name: () => nameField(input.name, "Name"),
    email: () => emailField(input.email),
    password: () => passwordField(input.password),
  });
  const duplicate = () => ValidationError.field("email", DUPLICATE_EMAIL_MESSAGE, 409);
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) throw duplicate();
  const passwordHash = await hashPassword(password);
  try {
    const { user, organization, project } = await createUserWithWorkspace({ email, name, passwordHash });
    return {
      user: { id: user.id, email: user.email, name: user.name },
      organization: { id: organization.id, slug: organization.slug, name: organization.name },
      project: { id: project.id, slug: project.slug, name: project.name },
    };
  } catch (err) {
    // Two sign-ups with one address at the same moment: the unique index decides.
    if (isUniqueViolation(err)) throw duplicate();
    throw err;
  }
}
