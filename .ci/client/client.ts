// A client generated from openapi/openapi.json (openapi-typescript + openapi-fetch) must compile
// against the field names and values api.md writes. Run by .ci/client-check; it fails when the
// document and the contract disagree (as when enums were listed by their Rust variant names).
import createClient from "openapi-fetch";
import type { paths, components } from "./api";

const client = createClient<paths>({ baseUrl: "http://localhost:8080" });

async function main() {
  // A registration exactly as api.md writes it.
  const { data, error } = await client.POST("/api/v1/auth/register", {
    body: {
      mobile: "13812345678",
      password: "volunteer-pass-1",
      real_name: "陈小明",
      id_type: "resident_id",
      id_number: "11010519491231002X",
      gender: "male",
      birth_date: "1949-12-31",
      political_status: "masses",
      skills: ["first_aid"],
      town: "台城街道",
    },
  });
  if (data) {
    const v: components["schemas"]["VolunteerResponse"] = data.volunteer;
    const n: string = v.volunteer_number;
    const t: string = data.tokens.access_token;
    console.log(n, t);
  }
  if (error) console.log(error.code, error.errors);
  const me = await client.GET("/api/v1/me", {});
  const role: "volunteer" | "team_admin" | "federation_admin" | "platform" | undefined = me.data?.roles[0]?.role;
  const acts = await client.GET("/api/v1/activities", { params: { query: { category: "medical_support", status: "published", town: "大江镇", page: 1, per_page: 20 } } });
  const status: "draft" | "published" | "completed" | "cancelled" | undefined = acts.data?.items[0]?.status;
  await client.POST("/api/v1/activities", { body: { team_id: "0192f5e4-7c1a-7b3e-9f00-1234567890ab", title: "社区清洁", category: "community_service", starts_at: "2026-03-05T09:00:00Z", ends_at: "2026-03-05T12:00:00Z", capacity: 20 } });
  await client.PATCH("/api/v1/activities/{id}/signups/{signup_id}", { params: { path: { id: "a", signup_id: "b" } }, body: { status: "confirmed" } });
  await client.PATCH("/api/v1/teams/{id}/members/{volunteer_id}", { params: { path: { id: "a", volunteer_id: "b" } }, body: { status: "approved" } });
  await client.POST("/api/v1/correction-requests/{id}/resolve", { params: { path: { id: "a" } }, body: { decision: "accept", comment: "ok" } });
  console.log(role, status);
}
main();
