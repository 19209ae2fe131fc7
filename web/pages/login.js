// The sign-in page: email and password (and the tenant, when one email signs in to several),
// with a clear message for a wrong password or too many attempts.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Field, LangSwitch, useAction } from "../ui.js";

export function LoginPage({ onLogin }) {
  const [form, setForm] = useState({ email: "", password: "", tenant: "" });
  // Filled when the server answers tenant_required with the tenants this email belongs to.
  const [tenants, setTenants] = useState([]);
  const action = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });

  const submit = async (e) => {
    e.preventDefault();
    const body = { email: form.email, password: form.password };
    if (form.tenant) body.tenant = form.tenant;
    const res = await action.run(async () => {
      try {
        return await api.post("/auth/login", body);
      } catch (err) {
        if (err.code === "tenant_required") setTenants(err.details.tenants || []);
        throw err;
      }
    });
    if (res) onLogin({ user: res.user, tenant: res.tenant });
  };

  return html`<main class="login">
    <form class="card" onSubmit=${submit} aria-labelledby="login-title">
      <div class="login-head">
        <h1 id="login-title">${t("login.title")}</h1>
        <${LangSwitch} />
      </div>
      <${Field} label=${t("login.email")}>
        <input type="email" name="email" autocomplete="username" required value=${form.email}
          onInput=${set("email")} />
      <//>
      <${Field} label=${t("login.password")}>
        <input type="password" name="password" autocomplete="current-password" required
          value=${form.password} onInput=${set("password")} />
      <//>
      ${tenants.length > 0 &&
      html`<${Field} label=${t("login.tenant")}>
        <select name="tenant" value=${form.tenant} onChange=${set("tenant")}>
          <option value="">—</option>
          ${tenants.map((slug) => html`<option key=${slug} value=${slug}>${slug}</option>`)}
        </select>
      <//>`}
      <${ErrorBox} error=${action.error} />
      <button type="submit" class="primary" disabled=${action.busy}>${t("login.submit")}</button>
    </form>
  </main>`;
}
