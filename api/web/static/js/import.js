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

function showSuccess(r) {
  result.hidden = false;
  clear(
    result,
    h("h2", { class: "card-title" }, "导入完成"),
    h("div", { class: "alert green" }, h("strong", {}, "成功"), h("div", {}, `共 ${r.total} 行：新增 ${r.created} 件，更新 ${r.updated} 件，重新编码 ${r.reembedded} 件。`)),
    h("div", { class: "grid-3" },
      h("div", { class: "stat" }, h("div", { class: "k" }, "新增"), h("div", { class: "v" }, r.created)),
      h("div", { class: "stat" }, h("div", { class: "k" }, "更新"), h("div", { class: "v" }, r.updated)),
      h("div", { class: "stat" }, h("div", { class: "k" }, "合计"), h("div", { class: "v" }, r.total))),
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
