import { redirect } from "next/navigation";

export default async function ProjectHome({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  redirect(`/${org}/${project}/overview`);
}
