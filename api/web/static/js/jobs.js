// 后台任务: submit long work, watch its progress, cancel or resubmit; polls while a job is active.
import { api, upload } from "./api.js";
import { $, badge, can, clear, errorBlock, fmtTime, h, me, toast } from "./ui.js";

const COLORS = { queued: "amber", running: "blue", succeeded: "green", failed: "red", cancelled: "", interrupted: "red" };
const body = $("#jobs-body");
let timer = null;

function resultText(job) {
  const r = job.result;
  if (job.error) return job.error;
  if (!r) return job.message;
  if (r.summary) return r.summary;
  if (job.kind === "discover") return `发现 ${r.groups} 个类案组，${r.unassigned} 件待复核（共 ${r.cases} 件）`;
  if (job.kind === "reindex") return `索引已重建：${r.indexed} 件案件`;
  if (job.kind === "report") return `${r.title}（${r.date_from} 至 ${r.date_to}，${r.rows.length} 个单位）`;
  return job.message;
}

function progressCell(job) {
  if (job.progress === null || job.progress === undefined) return job.status === "running" ? "…" : "—";
  const pct = Math.round(job.progress * 100);
  return h("div", { class: "progress" },
    h("div", { class: "progress-bar" }, h("span", { style: `width:${pct}%` })),
    h("span", { class: "muted small" }, `${job.progress_done} / ${job.progress_total}（${pct}%）`));
}

async function act(path, okText) {
  try {
    await api(path, { method: "POST" });
    toast(okText, "green");
  } catch (e) {
    toast(e.message, "error");
  }
  await load();
}

function row(job) {
  const actions = [];
  if (job.cancellable) actions.push(h("button", { class: "btn small", type: "button", "data-cancel": job.id, onclick: () => act(`/api/jobs/${job.id}/cancel`, `已请求取消任务 #${job.id}`) }, "取消"));
  if (["failed", "cancelled", "interrupted"].includes(job.status)) {
    actions.push(h("button", { class: "btn small", type: "button", "data-resubmit": job.id, onclick: () => act(`/api/jobs/${job.id}/resubmit`, "已重新提交") }, "重新提交"));
  }
  return h("tr", { "data-job": job.id, "data-status": job.status },
    h("td", {}, `#${job.id}`),
    h("td", {}, job.kind_label, job.params.filename ? h("div", { class: "muted small" }, job.params.filename) : null),
    h("td", {}, badge(job.status_label, COLORS[job.status] || "")),
    h("td", {}, progressCell(job)),
    h("td", { class: "small job-result" }, resultText(job)),
    h("td", { class: "small" }, job.created_by, h("div", { class: "muted" }, fmtTime(job.created_at))),
    h("td", {}, ...actions));
}

async function load() {
  try {
    const jobs = await api("/api/jobs");
    clear(body, ...(jobs.length ? jobs.map(row) : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "暂无后台任务"))]));
    const active = jobs.some((j) => j.status === "queued" || j.status === "running");
    clearTimeout(timer);
    if (active) timer = setTimeout(load, 1500);
  } catch (e) {
    clear(body, h("tr", {}, h("td", { colspan: 7 }, errorBlock(e))));
  }
}

async function submit(kind, params = {}) {
  try {
    const job = await api("/api/jobs", { method: "POST", body: { kind, params } });
    toast(`已提交任务 #${job.id}`, "green");
  } catch (e) {
    toast(e.message, "error");
  }
  await load();
}

for (const el of document.querySelectorAll("[data-perm]")) if (can(el.dataset.perm)) el.hidden = false; else el.remove();
$("#jobs-scope").textContent = can("system:admin") ? "（全部用户）" : `（${me.display_name} 提交的）`;
$("#job-discover")?.addEventListener("click", () => submit("discover", { mode: "full" }));
$("#job-reindex")?.addEventListener("click", () => submit("reindex", { re_encode: false }));
$("#job-report")?.addEventListener("click", () => submit("report", { weeks: 8 }));
$("#job-import")?.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#job-file").files[0];
  if (!file) { toast("请选择要导入的文件", "error"); return; }
  const form = new FormData();
  form.append("file", file);
  try {
    const job = await upload("/api/jobs/import", form);
    toast(`已提交导入任务 #${job.id}`, "green");
  } catch (e) {
    toast(e.message, "error");
  }
  await load();
});
load();
