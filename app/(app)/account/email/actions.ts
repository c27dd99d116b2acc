"use server";
// Weekly report opt-in per organization, changed by the signed-in user for their own memberships only.
import { revalidatePath } from "next/cache";
import { requireSession } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";

export async function setWeeklyReport(formData: FormData): Promise<void> {
  const user = await requireSession();
  const membershipId = String(formData.get("membershipId") ?? "");
  const on = formData.get("weeklyReport") === "on";
  // Scoped to the caller: another user's membership id changes nothing.
  await db.membership.updateMany({ where: { id: membershipId, userId: user.id }, data: { weeklyReport: on } });
  revalidatePath("/account/email");
}
