// 数据导入: choose or drop a file, upload with progress, show counts or the row-level errors.
import { upload } from "./api.js";
import { $, clear, h, problemText } from "./ui.js";

const form = $("#import-form");
const input = $("#import-file");
const zone = $("#dropzone");
const submit = $("#import-submit");
const result = $("#import-result");
let file = null;

function choose(f) {
  file = f || null;
  $("#file-name").textContent = file ? `${file.name}（${(file.size / 1024).toFixed(1)} KB）` : "";
  submit.disabled = !file;
}

input.addEventListener("change", () => choose(input.files[0]));
input.addEventListener("focus", () => zone.classList.add("focus"));
input.addEventListener("blur", () => zone.classList.remove("focus"));
zone.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); input.click(); } });
zone.tabIndex = 0;
for (const t of ["dragenter", "dragover"]) zone.addEventListener(t, (ev) => { ev.preventDefault(); zone.classList.add("over"); });
for (const t of ["dragleave", "drop"]) zone.addEventListener(t, () => zone.classList.remove("over"));
zone.addEventListener("drop", (ev) => { ev.preventDefault(); choose(ev.dataTransfer.files[0]); });

function setProgress(fraction, label, indeterminate = false, failed = false) {
  $("#import-progress").hidden = false;
  $(".progress-bar").classList.toggle("failed", failed);
  $(".progress-bar").classList.toggle("indeterminate", indeterminate);
  $("#progress-fill").style.width = `${Math.round(fraction * 100)}%`;
  $("#progress-label").textContent = label;
}

// "新增 3 件，更新 1 件（其中 1 件内容有变、已重新编码），未变化 2 件": re-encoding is only mentioned for updates.
function summary(r) {
  const parts = [`新增 ${r.created} 件`, `更新 ${r.updated} 件${r.updated && r.reembedded ? `（其中 ${r.reembedded} 件内容有变、已重新编码）` : ""}`];
  if (r.unchanged !== undefined && r.unchanged !== null) parts.push(`未变化 ${r.unchanged} 件`);
  return `共 ${r.total} 行：${parts.join("，")}。`;
}

function showSuccess(r) {
  result.hidden = false;
  const ignored = r.ignored_columns || [];
  const stat = (k, v) => h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v));
  clear(
    result,
    h("h2", { class: "card-title" }, "导入完成"),
    h("div", { class: "alert green" }, h("strong", {}, "成功"), h("div", {}, summary(r))),
    ignored.length ? h("div", { class: "alert blue", id: "import-ignored" }, h("strong", {}, "提示"), h("div", {}, `已忽略列：${ignored.join("、")}（不属于案件字段，未导入）`)) : null,
    h("div", { class: "grid-4" },
      stat("新增", r.created), stat("更新", r.updated),
      stat("未变化", r.unchanged ?? "—"), stat("合计", r.total)),
    h("p", {}, h("a", { href: "/" }, "前往案件研判 →")),
  );
}

function showErrors(e) {
  result.hidden = false;
  const details = e.details || [];
  const rows = details.filter((d) => d.row || d.field);
  clear(
    result,
    h("h2", { class: "card-title" }, "导入未完成"),
    h("div", { class: "alert red", role: "alert" }, h("strong", {}, "未写入"),
      h("div", {}, `${e.message}${rows.length ? `：共 ${rows.length} 处问题，整批未写入，请修改后重新上传。` : ""}`)),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "table", id: "import-errors" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "行号"), h("th", {}, "字段"), h("th", {}, "问题"))),
        h("tbody", {}, rows.map((d) => h("tr", {},
          h("td", { class: "num" }, d.row ?? "—"),
          h("td", {}, d.field ? h("code", {}, d.field) : "—"),
          h("td", {}, d.message))))))
      : details.map((d) => h("p", {}, problemText(d))),
  );
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!file) return;
  const data = new FormData();
  data.append("file", file, file.name);
  submit.disabled = true;
  result.hidden = true;
  setProgress(0, "正在上传…");
  try {
    const r = await upload("/api/cases/import", data, (f) => {
      if (f < 1) setProgress(f * 0.5, `正在上传 ${Math.round(f * 100)}%`);
      else setProgress(0.5, "上传完成，正在校验、分词与编码…", true);
    });
    setProgress(1, "已完成");
    showSuccess(r);
  } catch (e) {
    setProgress(1, "已中止：未写入任何数据", false, true);
    showErrors(e);
  } finally {
    submit.disabled = false;
  }
});
