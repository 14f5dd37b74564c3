// 典型案例: read as a guidance document, edit into a new version, publish, retire, browse versions.
import { api } from "./api.js";
import { $, badge, can, clear, errorBlock, fmtTime, h, toast } from "./ui.js";

const root = $("#mc-root");
const mcId = Number(root.dataset.mcId);
const params = new URLSearchParams(location.search);
const version = params.get("version");
let mc = null;

function section(title, ...body) {
  return [h("h2", {}, title), body];
}

function renderDoc(m) {
  const g = m.guidance || {};
  document.title = `${m.title} · 典型案例库`;
  $("#mc-code").textContent = m.code;
  clear(
    $("#mc-doc"),
    h("h1", {}, m.title),
    h("div", { class: "badges" }, badge(m.status_label, { published: "green", draft: "amber" }[m.status] || ""), badge(m.authority, m.authority === "指导性" ? "red" : "blue"),
      m.category ? badge(m.category, "outline") : null, (m.tags || []).map((t) => badge(t))),
    section("案情摘要", h("p", {}, m.summary)),
    g.approach ? section("化解思路", h("p", {}, g.approach)) : null,
    g.steps?.length ? section("操作步骤", h("ol", { class: "steps" }, g.steps.map((s) => h("li", {}, s)))) : null,
    g.basis?.length ? section("政策法律依据", h("ul", {}, g.basis.map((b) => h("li", {}, h("strong", {}, b.name), b.point ? `：${b.point}` : "")))) : null,
    g.cautions?.length ? section("注意事项", h("ul", {}, g.cautions.map((c) => h("li", {}, c)))) : null,
    g.outcome ? section("化解成效", h("p", {}, g.outcome)) : null,
    m.source_case_ids?.length ? section("来源案件", h("p", {}, m.source_case_ids.map((id) => [h("a", { href: `/cases/${id}` }, `案件 #${id}`), " "]))) : null,
  );
  const fact = (k, v) => [h("dt", {}, k), h("dd", {}, v || "—")];
  clear($("#mc-facts"),
    fact("编号", m.code), fact("状态", m.status_label), fact("效力", m.authority), fact("类别", m.category), fact("领域", m.domain),
    fact("牵头部门", m.lead_department), fact("适用地区", m.locality), fact("当前版本", `第 ${m.version} 版（最新 ${m.current_version}）`),
    fact("已发布版本", m.published_version ? `第 ${m.published_version} 版` : "未发布"), fact("发布", m.published_at ? `${fmtTime(m.published_at)} ${m.published_by || ""}` : ""),
    fact("编写", m.author), fact("审核", m.reviewer), fact("更新时间", fmtTime(m.updated_at)));
  const notice = clear($("#mc-notice"));
  if (version) notice.append(h("div", { class: "alert blue" }, h("strong", {}, "历史版本"), h("div", {}, `正在查看第 ${version} 版。`, h("a", { href: `/modelcases/${m.id}` }, "返回最新版"))));
  else if (m.status === "draft") notice.append(h("div", { class: "alert amber" }, h("strong", {}, "草稿"), h("div", {}, "此案例尚未发布，经办人检索不到。")));
  else if (m.unpublished_changes) notice.append(h("div", { class: "alert amber" }, h("strong", {}, "有未发布修改"), h("div", {}, `最新第 ${m.current_version} 版尚未发布，经办人看到的是第 ${m.published_version} 版。`)));
}

function renderActions(m) {
  const box = clear($("#mc-actions"));
  if (version) return;
  if (can("modelcases:draft") && m.status !== "retired") box.append(h("button", { class: "btn", type: "button", id: "mc-edit-btn", onclick: openEditor }, "编辑"));
  if (can("modelcases:publish") && (m.status === "draft" || m.unpublished_changes || m.status === "retired")) {
    box.append(h("button", { class: "btn primary", type: "button", id: "mc-publish", onclick: publish }, m.status === "published" ? "发布最新版本" : "审核发布"));
  }
  if (can("modelcases:publish") && m.status === "published") box.append(h("button", { class: "btn danger", type: "button", id: "mc-retire", onclick: retire }, "停用"));
}

async function publish() {
  try {
    mc = await api(`/api/modelcases/${mcId}/publish`, { method: "POST" });
    toast(`已发布第 ${mc.published_version} 版`);
    show(mc);
  } catch (e) { $("#mc-notice").prepend(errorBlock(e)); }
}

async function retire() {
  if (!confirm("确定停用此典型案例？停用后经办人将检索不到。")) return;
  try { show(await api(`/api/modelcases/${mcId}/retire`, { method: "POST" })); toast("已停用"); }
  catch (e) { $("#mc-notice").prepend(errorBlock(e)); }
}

const lines = (s) => s.split("\n").map((x) => x.trim()).filter(Boolean);

function field(id, label, value, rows = 0) {
  return [h("label", { for: id }, label), rows ? h("textarea", { id, rows }, value || "") : h("input", { id, value: value || "" })];
}

function openEditor() {
  const m = mc;
  const g = m.guidance || {};
  const form = $("#mc-edit");
  form.hidden = false;
  $("#mc-doc").hidden = true;
  clear(form,
    h("h2", { class: "card-title" }, `编辑（保存为第 ${m.current_version + 1} 版）`),
    field("e-title", "标题", m.title),
    h("div", { class: "two" }, h("div", {}, field("e-category", "类别", m.category)), h("div", {}, field("e-lead", "牵头部门", m.lead_department))),
    field("e-summary", "案情摘要", m.summary, 4),
    field("e-approach", "化解思路", g.approach, 3),
    field("e-steps", "操作步骤（每行一步）", (g.steps || []).join("\n"), 6),
    field("e-basis", "政策法律依据（每行一条：名称｜要点）", (g.basis || []).map((b) => (b.point ? `${b.name}｜${b.point}` : b.name)).join("\n"), 4),
    field("e-cautions", "注意事项（每行一条）", (g.cautions || []).join("\n"), 3),
    field("e-outcome", "化解成效", g.outcome, 2),
    field("e-note", "修改说明", ""),
    h("div", { class: "btn-row", style: "margin-top:1rem" },
      h("button", { class: "btn primary", type: "submit" }, "保存新版本"),
      h("button", { class: "btn", type: "button", onclick: closeEditor }, "取消")),
  );
  $("#e-title").focus();
}

function closeEditor() {
  $("#mc-edit").hidden = true;
  $("#mc-doc").hidden = false;
}

$("#mc-edit").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {
    title: $("#e-title").value.trim(),
    category: $("#e-category").value.trim() || null,
    lead_department: $("#e-lead").value.trim() || null,
    summary: $("#e-summary").value.trim(),
    approach: $("#e-approach").value.trim(),
    steps: lines($("#e-steps").value),
    basis: lines($("#e-basis").value).map((l) => { const [name, ...rest] = l.split(/[｜|]/); return { name: name.trim(), point: rest.join("｜").trim() }; }),
    cautions: lines($("#e-cautions").value),
    outcome: $("#e-outcome").value.trim(),
    note: $("#e-note").value.trim() || "网页编辑",
  };
  try {
    mc = await api(`/api/modelcases/${mcId}`, { method: "PATCH", body });
    closeEditor();
    toast(`已保存为第 ${mc.current_version} 版`);
    show(mc);
  } catch (e) {
    $("#mc-edit").prepend(errorBlock(e));
  }
});

async function renderVersions() {
  if (!can("modelcases:draft")) return;
  const hist = await api(`/api/modelcases/${mcId}/history`).catch(() => null);
  if (!hist) return;
  $("#mc-versions-card").hidden = false;
  clear($("#mc-versions"), h("ol", { class: "timeline" }, [...hist.versions].reverse().map((v) => h("li", {},
    h("time", {}, fmtTime(v.created_at)), h("a", { href: `/modelcases/${mcId}?version=${v.version}` }, `第 ${v.version} 版`),
    ` · ${v.editor}`, v.note ? ` · ${v.note}` : ""))));
}

function show(m) {
  mc = m;
  renderDoc(m);
  renderActions(m);
  renderVersions();
}

(async () => {
  try {
    show(await api(`/api/modelcases/${mcId}`, { query: { version } }));
    if (params.get("edit") && can("modelcases:draft")) openEditor();
  } catch (e) {
    clear(root, errorBlock(e));
  }
})();
