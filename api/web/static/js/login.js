// Login form: POST /api/auth/login sets the HttpOnly session cookie, then go where the user was heading.
import { api } from "./api.js";

const form = document.getElementById("login-form");

// Only a path on this site ("/x", never "//host" or "/\\host"); the server checks the same.
function safeNext(next) {
  return /^\/(?![\/\\])[^\\\x00-\x1f\x7f]*$/.test(next || "") ? next : "/";
}
const error = document.getElementById("login-error");

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = "请输入用户名和密码";
    error.hidden = false;
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  button.textContent = "正在登录…";
  try {
    await api("/api/auth/login", { method: "POST", body: { username, password } });
    location.assign(safeNext(form.dataset.next));
  } catch (e) {
    error.textContent = e.message || "登录失败";
    error.hidden = false;
    form.password.select();
  } finally {
    button.disabled = false;
    button.textContent = "登录";
  }
});
