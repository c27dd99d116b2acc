// Pages call their loader through this: not signed in -> the sign-in page (coming back afterwards),
// not a member / no such thing -> 404, role too low -> 403.
import { forbidden, notFound, redirect } from "next/navigation";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "./errors";

export async function guardPage<T>(load: () => Promise<T>, currentPath: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof UnauthenticatedError) redirect(`/sign-in?callbackUrl=${encodeURIComponent(currentPath)}`);
    if (err instanceof NotFoundError) notFound();
    if (err instanceof ForbiddenError) forbidden();
    throw err;
  }
}
