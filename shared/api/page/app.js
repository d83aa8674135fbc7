// The hosted onboarding page: walks an enrollee through exactly the steps the project's flow
// enables, in order, using only the public API. Every screen is rebuilt from the server's answer
// (`GET /v2/app-registrations/{id}` and its `progress`), so a reload, or the same link opened
// later, resumes where the enrollee stands.
//
// What lives in the browser: the enrollee token and the registration id in this tab's
// sessionStorage (never in the URL after the first load, never in a cookie), and which optional
// steps the enrollee chose to skip. DOM is built with createElement/textContent only: no HTML
// string ever carries a value from the server or the enrollee.

import { ApiError, call, claims, setToken } from "./api.js";
import { DOCUMENT_SIDE, SELFIE_SIDE, fromFile, grab, openCamera, os, ready, stopCamera } from "./camera.js";
import qrcode from "./qrcode.js";
import { category, language, setLanguage, supported, t } from "./strings.js";

const projectId = location.pathname.split("/").filter(Boolean)[1] || "";
const storageKey = `smartenroll:${projectId}`;
const SETTLED = ["COMPLETED", "COMPLETED_WITHOUT_KYC", "FAILED", "NEEDS_MANUAL_VERIFICATION", "EXPIRED"];
const POLL_MS = 1500;

let project = null;
let state = load();
let camera = null;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey)) || {};
  } catch {
    return {};
  }
}

function save() {
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(state));
  } catch {
    // Storage refused (private mode in some WebViews): the page still works until a reload.
  }
}

/** `#token=` (the product's links) or `?token=` (the reference's): taken once, then removed from
 * the address bar and history so it is not shared, bookmarked or sent anywhere. */
function takeTokenFromUrl() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  const fromQuery = new URLSearchParams(location.search).get("token");
  const token = fromHash || fromQuery;
  if (fromHash || fromQuery || location.hash) history.replaceState(null, "", location.pathname);
  if (!token) return;
  const c = claims(token);
  if (!c || c.project !== projectId || !c.appRegistrationId) return;
  state = { token, registration: c.appRegistrationId };
  save();
}

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces the card's content with a titled screen and moves focus to its heading. */
function screen(title, ...content) {
  stopCamera(camera);
  camera = null;
  const heading = h("h1", { id: "screen-title", tabindex: "-1" }, title);
  const root = document.getElementById("screen");
  root.replaceChildren(heading, ...content);
  document.title = `${title} – ${project ? project.name : t("title")}`;
  heading.focus({ preventScroll: false });
  return root;
}

function paragraph(text, attrs = {}) {
  return h("p", attrs, text);
}

function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", class: "primary", onclick, ...attrs }, label);
}

function alertBox() {
  return h("p", { class: "alert", role: "alert" });
}

function busy(el, on, label) {
  el.disabled = on;
  if (on) {
    el.dataset.label = el.textContent;
    el.textContent = label || t("sending");
  } else if (el.dataset.label) {
    el.textContent = el.dataset.label;
  }
}

/** The enrollee's words for an API refusal; validation details next to the fields they name. */
function explain(error, box, form) {
  let text = t("errorTitle");
  if (error instanceof ApiError) {
    if (error.status === 429) text = t("tooMany");
    else if (error.status === 413) text = t("photoTooLarge");
    else if (error.message && error.status >= 400 && error.status < 500) text = error.message;
    if (form) {
      for (const d of error.details) {
        const input = form.querySelector(`[name="${CSS.escape(String(d.field))}"]`);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          const note = document.getElementById(`${input.id}-error`);
          if (note) note.textContent = d.message;
        }
      }
    }
  } else if (error && error.message === "too large") {
    text = t("photoTooLarge");
  } else if (error && error.message === "unreadable") {
    text = t("photoUnreadable");
  }
  box.textContent = text;
}

// ---------------------------------------------------------------- branding

function rgb(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || "").trim());
  if (!m) return null;
  let s = m[1];
  if (s.length === 3) s = s.split("").map((c) => c + c).join("");
  return [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16));
}

function luminance([r, g, b]) {
  const lin = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function ratio(a, b) {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** The operator's colour when it reaches WCAG AA on `background`, else black or white (as
 * shared/domain/src/contrast.rs does at save time, where the operator is warned). */
function readable(wanted, background) {
  if (wanted && ratio(wanted, background) >= 4.5) return wanted;
  return ratio([0, 0, 0], background) >= ratio([255, 255, 255], background) ? [0, 0, 0] : [255, 255, 255];
}

const css = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;

function applyBranding(b = {}) {
  const root = document.documentElement.style;
  const card = [255, 255, 255];
  const backdrop = rgb(b.backgroundColor);
  if (backdrop) root.setProperty("--backdrop", css(backdrop));
  root.setProperty("--title", css(readable(rgb(b.titleColor), card)));
  root.setProperty("--text", css(readable(rgb(b.textColor), card)));
  const buttonBg = rgb(b.buttonColor) || [29, 78, 216];
  // A button must stand out from the card too (WCAG 1.4.11, 3:1); else the title colour is used.
  const fill = ratio(buttonBg, card) >= 3 ? buttonBg : readable(rgb(b.titleColor), card);
  root.setProperty("--button", css(fill));
  root.setProperty("--button-text", css(readable(rgb(b.buttonTextColor), fill)));
}

// ---------------------------------------------------------------- flow

async function main() {
  takeTokenFromUrl();
  setLanguage(navigator.language);
  try {
    const answer = await call("GET", `/v2/projects/kyc?id=${encodeURIComponent(projectId)}`);
    project = answer.data;
  } catch (e) {
    setLanguage(navigator.language);
    if (e instanceof ApiError && e.status === 404) return screen(t("notFoundTitle"), paragraph(t("notFoundText")));
    return failure(e);
  }
  // The browser's language when the page has it, else the project's default (reference:
  // `defaultLanguage` is the fallback); once there is a registration, its `language`.
  setLanguage(supported(navigator.language) ? navigator.language : project.defaultLanguage);
  applyBranding(project.branding || {});
  document.documentElement.lang = language();
  showBrand();
  if (project.status !== "active" && !state.token) return screen(t("closedTitle"), paragraph(t("closedText")));
  if (state.token) setToken(state.token);
  await next();
}

function failure(e) {
  const box = alertBox();
  explain(e, box);
  screen(t("errorTitle"), box, button(t("errorRetry"), () => next()));
}

/** The project's name, and its logo when the product holds one (the name stays for screen
 * readers and comes back if the logo fails to load). */
function showBrand() {
  const name = document.getElementById("project-name");
  name.textContent = project.name;
  const images = project.hostedImages || {};
  if (images.logo) {
    const logo = h("img", { src: images.logo, alt: project.name, class: "logo", id: "logo" });
    logo.addEventListener("error", () => {
      logo.remove();
      name.hidden = false;
    });
    name.hidden = true;
    name.before(logo);
  }
  if (images.image) {
    document.querySelector(".backdrop").prepend(h("img", { src: images.image, alt: "", class: "side-image", id: "side-image" }));
  }
}

// A business's representative follows the personal flow the business flow sets for its people.
let representative = false;
const flow = () => (representative && project.projectFlow && project.projectFlow.representativeFlow) || project.projectFlow || {};
const steps = () => flow().steps || {};
const form = () => flow().signUpForm || {};
const consentShown = () => form().showPrivacyNotice || form().showTermsAndConditions;

/** Reads where the enrollee stands and shows the next screen. */
async function next() {
  if (!state.token) {
    if (project.status === "active" && project.publicSignUp) return signUp();
    return screen(t("invitationTitle"), paragraph(t("invitationText")));
  }
  let reg;
  try {
    reg = (await call("GET", `/v2/app-registrations/${encodeURIComponent(state.registration)}`)).data;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      state = {};
      save();
      setToken(null);
      return screen(t("expiredTitle"), paragraph(t("expiredText")));
    }
    return failure(e);
  }
  representative = Boolean(reg.representativeOf);
  setLanguage(reg.language || language());
  document.documentElement.lang = language();
  if (SETTLED.includes(reg.status)) return finished(reg);
  const p = reg.progress || {};
  if (consentShown() && !p.consentAccepted && !state.consentGiven) return welcome(reg);
  if (p.emailCode === "needed") return code(reg, "email");
  if (p.phoneCode === "needed") return code(reg, "phone");
  const doc = p.document || {};
  const live = p.liveness || {};
  if (!p.consentAccepted && doc.latest == null && live.latest == null) {
    // Past the sign-up form: the enrollee accepted the notice and terms it showed.
    try {
      await call("PUT", `/v2/app-registrations/${reg._id}/sync`, { step: "signUpForm", status: "ONGOING" });
    } catch (e) {
      return failure(e);
    }
  }
  const wanted = (s) => s.mode && s.mode !== "skip" && s.latest == null;
  if (wanted(doc) && !(doc.mode === "optional" && state.skipDocument)) return documentStep(reg, doc);
  if (wanted(live) && !(live.mode === "optional" && state.skipLiveness)) return selfieStep(reg, live);
  return waiting(reg);
}

// ---------------------------------------------------------------- sign-up

function field(name, label, attrs = {}) {
  const id = `f-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, "aria-describedby": `${id}-error`, ...attrs }),
    h("span", { class: "field-error", id: `${id}-error` }),
  );
}

/** The notice and terms the project links to, and the box that accepts them. */
function consentBlock() {
  if (!consentShown()) return null;
  const f = form();
  const links = h(
    "p",
    { class: "links" },
    f.showPrivacyNotice && project.privacyUrl
      ? h("a", { href: project.privacyUrl, target: "_blank", rel: "noopener noreferrer" }, t("privacyLink"))
      : null,
    f.showPrivacyNotice && f.showTermsAndConditions ? " · " : null,
    f.showTermsAndConditions && project.termsAndConditionsUrl
      ? h("a", { href: project.termsAndConditionsUrl, target: "_blank", rel: "noopener noreferrer" }, t("termsLink"))
      : null,
  );
  const text = f.showPrivacyNotice && f.showTermsAndConditions ? t("consentText") : f.showPrivacyNotice ? t("consentPrivacyOnly") : t("consentTermsOnly");
  return h(
    "div",
    { class: "consent" },
    links,
    h("div", { class: "check" }, h("input", { type: "checkbox", id: "consent", name: "consent", required: true }), h("label", { for: "consent" }, text)),
  );
}

function signUp() {
  const f = form();
  const box = alertBox();
  const fields = [];
  if (f.fullName !== false) {
    if (f.fullNameStyle === "separate") {
      fields.push(field("firstName", t("firstName"), { autocomplete: "given-name", required: true, maxlength: 100 }));
      fields.push(field("lastName", t("lastName"), { autocomplete: "family-name", required: true, maxlength: 100 }));
    } else {
      fields.push(field("fullName", t("fullName"), { autocomplete: "name", required: true, maxlength: 200 }));
    }
  }
  if (f.email) fields.push(field("email", t("email"), { type: "email", autocomplete: "email", required: true, maxlength: 254 }));
  if (f.phone) {
    fields.push(
      h(
        "div",
        { class: "phone-row" },
        field("countryCode", t("countryCode"), { autocomplete: "tel-country-code", required: true, value: "+57", maxlength: 4, inputmode: "tel", class: "short" }),
        field("phone", t("phone"), { type: "tel", autocomplete: "tel-national", required: true, maxlength: 20 }),
      ),
    );
  }
  if (f.allowAdditionalFields) {
    const types = ["text", "email", "number", "date", "tel", "url"];
    (f.additionalFields || []).forEach((a, i) => {
      const label = a.required ? a.label : `${a.label} (${t("optional")})`;
      fields.push(field(`add-${i}`, label, { name: `additionalFields.${a.name}`, type: types.includes(a.type) ? a.type : "text", required: a.required, maxlength: 500 }));
    });
  }
  const submit = h("button", { type: "submit", class: "primary" }, t("continue"));
  const el = h("form", { novalidate: true }, fields, consentBlock(), box, submit);
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.textContent = "";
    el.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    el.querySelectorAll(".field-error").forEach((i) => (i.textContent = ""));
    const consent = el.querySelector("#consent");
    if (consent && !consent.checked) {
      box.textContent = t("consentNeeded");
      consent.focus();
      return;
    }
    const body = { project: projectId, projectFlow: flow()._id, language: language() };
    for (const input of el.querySelectorAll("input[name]")) {
      const value = input.value.trim();
      if (input.name === "consent" || !value) continue;
      if (input.name.startsWith("additionalFields.")) {
        body.additionalFields = body.additionalFields || {};
        body.additionalFields[input.name.slice("additionalFields.".length)] = value;
      } else {
        body[input.name] = value;
      }
    }
    busy(submit, true);
    try {
      const answer = (await call("POST", "/v2/app-registrations", body)).data;
      state = { token: answer.token, registration: answer.appRegistration._id, consentGiven: Boolean(consent) };
      save();
      setToken(state.token);
      await next();
    } catch (e) {
      busy(submit, false);
      explain(e, box, el);
    }
  });
  screen(t("signUpTitle"), paragraph(t("signUpText")), el);
}

/** For an enrollee who arrives with a link: the notice and terms before anything else. */
function welcome() {
  const box = alertBox();
  const go = button(t("start"), () => {
    const consent = document.getElementById("consent");
    if (consent && !consent.checked) {
      box.textContent = t("consentNeeded");
      consent.focus();
      return;
    }
    state.consentGiven = true;
    save();
    next();
  });
  screen(t("welcomeTitle"), paragraph(t("welcomeText")), consentBlock(), box, go);
}

// ---------------------------------------------------------------- one-time codes

async function code(reg, kind) {
  const to = kind === "email" ? reg.email : `${reg.countryCode} ${reg.phone}`;
  const box = alertBox();
  const status = h("p", { role: "status", class: "hint" });
  const send = async () => {
    const path = kind === "email" ? "/v2/email-validations/app-registration" : "/v2/phone-validations/app-registration";
    const body = kind === "email" ? { email: reg.email } : { phone: reg.phone, countryCode: reg.countryCode };
    const sent = (await call("POST", path, body)).data || {};
    state[`${kind}Validation`] = sent._id;
    save();
    if (sent.expiresAt) {
      const time = new Date(sent.expiresAt).toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
      status.textContent = t("codeExpires", { time });
    }
  };
  const input = h("input", {
    id: "f-otp",
    name: "otp",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]*",
    maxlength: 6,
    required: true,
    "aria-describedby": "f-otp-error",
  });
  const verify = h("button", { type: "submit", class: "primary" }, t("verify"));
  const resend = h("button", { type: "button", class: "secondary" }, t("resend"));
  const el = h(
    "form",
    { novalidate: true },
    h("div", { class: "field" }, h("label", { for: "f-otp" }, t("codeLabel")), input, h("span", { class: "field-error", id: "f-otp-error" })),
    box,
    verify,
    resend,
  );
  resend.addEventListener("click", async () => {
    box.textContent = "";
    busy(resend, true);
    try {
      await send();
      status.textContent = `${t("resent")} ${status.textContent}`;
    } catch (e) {
      explain(e, box);
    }
    busy(resend, false);
  });
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.textContent = "";
    busy(verify, true);
    try {
      const otp = input.value.trim();
      if (kind === "email") {
        await call("PUT", `/v2/email-validations/${encodeURIComponent(state.emailValidation || "")}`, { email: reg.email, otp });
      } else {
        await call("PUT", "/v2/phone-validations", { phone: reg.phone, countryCode: reg.countryCode, otp });
      }
      await next();
    } catch (e) {
      busy(verify, false);
      if (e instanceof ApiError && e.status === 422) box.textContent = t("codeWrong");
      else explain(e, box);
      input.select();
    }
  });
  screen(t(kind === "email" ? "emailCodeTitle" : "phoneCodeTitle"), paragraph(t("codeSentTo", { to })), el, status);
  // A code is sent on arrival unless one was sent for this registration in this tab already.
  if (!state[`${kind}Validation`]) {
    try {
      await send();
    } catch (e) {
      explain(e, box);
    }
  }
}

// ---------------------------------------------------------------- capture

/**
 * One photo: the camera (facing `facing`, with a `guide` frame drawn over the preview) when the
 * browser has one and permission is given, and always a file upload beside it. Resolves to
 * `{image, inputMethod}` once the enrollee confirms the photo.
 */
function capture({ title, hint, facing, guide, maxSide, skip, handoff }) {
  return new Promise((resolve) => {
    const box = alertBox();
    const status = h("p", { role: "status", class: "hint" }, t("cameraStarting"));
    const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": t("cameraAlt") });
    const frame = h("div", { class: `viewfinder ${guide}` }, video, h("div", { class: "guide", "aria-hidden": "true" }));
    const shoot = button(t("takePhoto"), null, { disabled: true });
    const fileInput = h("input", { type: "file", id: "f-upload", accept: "image/jpeg,image/png,image/webp", class: "visually-hidden" });
    const uploadLabel = h("label", { for: "f-upload", class: "secondary upload" }, t("upload"));
    const actions = h(
      "div",
      { class: "actions" },
      shoot,
      uploadLabel,
      fileInput,
      skip ? h("button", { type: "button", class: "link", onclick: skip }, t("skip")) : null,
      handoff ? h("button", { type: "button", class: "link", id: "handoff", onclick: handoff }, t("handoffButton")) : null,
    );

    const confirm = (image, inputMethod) => {
      stopCamera(camera);
      camera = null;
      const use = button(t("usePhoto"), () => resolve({ image, inputMethod }));
      const again = h("button", { type: "button", class: "secondary", onclick: () => capture({ title, hint, facing, guide, maxSide, skip, handoff }).then(resolve) }, t("retake"));
      screen(title, h("img", { src: image, alt: t("previewAlt"), class: `preview ${guide}` }), h("div", { class: "actions" }, use, again));
    };

    fileInput.addEventListener("change", async () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      box.textContent = "";
      try {
        confirm(await fromFile(file, maxSide), "FILE_UPLOAD");
      } catch (e) {
        explain(e, box);
      }
    });
    shoot.addEventListener("click", () => {
      try {
        confirm(grab(video, maxSide), "CAMERA");
      } catch (e) {
        explain(e, box);
      }
    });

    screen(title, paragraph(hint), frame, status, box, actions);
    openCamera(facing)
      .then(async (stream) => {
        if (!document.body.contains(video)) return stopCamera(stream);
        camera = stream;
        video.srcObject = stream;
        await ready(video);
        status.textContent = "";
        shoot.disabled = false;
      })
      .catch(() => {
        frame.remove();
        shoot.remove();
        status.textContent = t("cameraUnavailable");
        uploadLabel.textContent = t("uploadOnly");
        uploadLabel.className = "primary upload";
      });
  });
}

// ---------------------------------------------------------------- document

function documentChoices() {
  const types = (flow().documents && flow().documents.documentTypes) || [];
  const seen = new Set();
  for (const c of types.flatMap((ty) => ty.categories || [])) seen.add(c);
  return [...seen];
}

async function documentStep(reg, doc, force = false) {
  const skip = doc.mode === "optional" ? () => { state.skipDocument = true; save(); next(); } : null;
  const choices = documentChoices();
  let chosen = choices.length === 1 ? choices[0] : null;
  if (!chosen && choices.length > 1) {
    chosen = await new Promise((resolve) => {
      const group = h(
        "fieldset",
        { class: "choices" },
        h("legend", {}, t("documentText")),
        choices.map((c, i) =>
          h("div", { class: "check" }, h("input", { type: "radio", name: "category", id: `c-${c}`, value: c, checked: i === 0 }), h("label", { for: `c-${c}` }, category(c))),
        ),
      );
      const go = button(t("continue"), () => resolve(group.querySelector("input:checked").value));
      screen(t("documentTitle"), group, h("div", { class: "actions" }, go, skip ? h("button", { type: "button", class: "link", onclick: skip }, t("skip")) : null));
    });
  }
  const options = { facing: "environment", guide: "document", maxSide: DOCUMENT_SIDE, hint: t("documentHint"), skip, handoff: () => handoff(reg) };
  const front = await capture({ ...options, title: t("documentFrontTitle") });
  const back = chosen && chosen !== "passport" ? await capture({ ...options, title: t("documentBackTitle"), skip: null }) : null;
  const body = { image: front.image, inputMethod: front.inputMethod };
  if (back) body.backImage = back.image;
  if (force) body.force = true;
  await submit(`/v2/document-validations/app-registration`, body, reg);
}

/** Sends a capture; on refusal shows why, with a way back to the same step. */
async function submit(path, body, reg) {
  const box = alertBox();
  screen(t("sending"), h("p", { role: "status" }, t("sending")), box);
  try {
    await call("POST", path, body);
    await next();
  } catch (e) {
    explain(e, box);
    box.after(button(t("errorRetry"), () => next()));
  }
}

// ---------------------------------------------------------------- selfie

async function selfieStep(reg, live, force = false) {
  const skip = live.mode === "optional" ? () => { state.skipLiveness = true; save(); next(); } : null;
  const active = flow().liveness && flow().liveness.mode === "active";
  if (active) return activeSelfie(reg, skip, force);
  const shot = await capture({ title: t("selfieTitle"), hint: t("selfieHint"), facing: "user", guide: "face", maxSide: SELFIE_SIDE, skip, handoff: () => handoff(reg) });
  await submit("/v2/biometric-validations/app-registration", { image: shot.image, os: os(), ...(force ? { force: true } : {}) }, reg);
}

/** The active challenge: a signed list of head turns; a burst of frames while the enrollee
 * follows them. Needs a live camera (a photo cannot turn its head), so no upload here. */
async function activeSelfie(reg, skip, force = false) {
  const box = alertBox();
  const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": t("cameraAlt") });
  const instruction = h("p", { role: "status", class: "instruction" }, t("cameraStarting"));
  const go = button(t("start"), null, { disabled: true });
  screen(t("selfieTitle"), paragraph(t("challengeIntro")), h("div", { class: "viewfinder face" }, video, h("div", { class: "guide", "aria-hidden": "true" })), instruction, box, h("div", { class: "actions" }, go, skip ? h("button", { type: "button", class: "link", onclick: skip }, t("skip")) : null));
  try {
    camera = await openCamera("user");
    video.srcObject = camera;
    await ready(video);
    instruction.textContent = "";
    go.disabled = false;
  } catch {
    instruction.textContent = t("cameraUnavailable");
    return;
  }
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      const challenge = (await call("POST", "/v2/face-recognition/liveness/challenge", {})).data;
      const selfie = grab(video, SELFIE_SIDE);
      const frames = [];
      const perTurn = Math.max(2, Math.floor(12 / Math.max(1, challenge.turns.length)));
      for (const turn of challenge.turns) {
        instruction.textContent = t(`turn_${turn}`);
        for (let i = 0; i < perTurn && frames.length < 12; i++) {
          await new Promise((r) => setTimeout(r, 450));
          frames.push(grab(video, 640, 400_000));
        }
      }
      await submit("/v2/biometric-validations/app-registration", { image: selfie, os: os(), challenge: challenge.challenge, frames, ...(force ? { force: true } : {}) }, reg);
    } catch (e) {
      explain(e, box);
      go.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- hand-off

/** What a screen on this device depends on; when another device changes it, this one moves on. */
function stage(reg) {
  const p = reg.progress || {};
  return JSON.stringify([reg.status, p.emailCode, p.phoneCode, p.document && p.document.latest, p.liveness && p.liveness.latest, p.endRequested]);
}

/** A 15-minute token for another device, shown as a QR code and a link; this page keeps polling
 * and follows whatever the other device does. */
async function handoff(reg) {
  const box = alertBox();
  let answer;
  try {
    answer = (await call("POST", `/v2/app-registrations/${reg._id}/handoff`)).data;
  } catch (e) {
    return failure(e);
  }
  const link = answer.link || `${location.origin}/sign-up/${projectId}#token=${answer.token}`;
  const qr = qrcode(0, "M");
  qr.addData(link);
  qr.make();
  const copy = h("button", { type: "button", class: "secondary" }, t("copyLink"));
  const input = h("input", { id: "handoff-link", readonly: true, value: link });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link);
      copy.textContent = t("copied");
    } catch {
      input.select();
    }
  });
  screen(
    t("handoffTitle"),
    paragraph(t("handoffText")),
    h("img", { src: qr.createDataURL(5, 4), alt: t("handoffQr"), class: "qr", id: "handoff-qr" }),
    h("div", { class: "field" }, h("label", { for: "handoff-link" }, t("handoffLink")), input),
    copy,
    h("p", { role: "status", class: "hint" }, t("handoffWaiting")),
    box,
    h("button", { type: "button", class: "link", onclick: () => next() }, t("continueHere")),
  );
  const root = document.getElementById("screen");
  const before = stage(reg);
  while (root.contains(input)) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!root.contains(input)) return;
    try {
      const current = (await call("GET", `/v2/app-registrations/${reg._id}`)).data;
      if (stage(current) !== before) return next();
    } catch (e) {
      explain(e, box);
    }
  }
}

// ---------------------------------------------------------------- decision

async function waiting(reg) {
  const status = h("p", { role: "status" }, t("waitingText"));
  screen(
    t("waitingTitle"),
    h("div", { class: "spinner", "aria-hidden": "true" }),
    status,
    h("button", { type: "button", class: "link", id: "handoff", onclick: () => handoff(reg) }, t("handoffButton")),
  );
  if (!(reg.progress && reg.progress.endRequested)) {
    // The checks' own results first: a failed one with attempts left can be taken again before
    // the decision (which counts the latest attempt of each).
    let current = reg;
    const running = (p) => ["document", "liveness"].some((k) => p[k] && p[k].latest === "pending");
    while (running(current.progress || {})) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      try {
        current = (await call("GET", `/v2/app-registrations/${reg._id}`)).data;
      } catch (e) {
        return failure(e);
      }
      if (SETTLED.includes(current.status)) return finished(current);
    }
    const p = current.progress || {};
    const again = ["document", "liveness"].find((k) => p[k] && p[k].latest === "failed" && p[k].attemptsLeft > 0 && p[k].mode !== "skip");
    if (again && !state.declinedRetry) return retry(current, again);
    try {
      const answer = (await call("PUT", `/v2/app-registrations/${reg._id}/sync`, { step: "end", status: "COMPLETED" })).data || {};
      if (answer.redirectUrl) state.redirectUrl = answer.redirectUrl;
      save();
    } catch (e) {
      // A step is missing (e.g. a check refused): show the screen the server's state asks for.
      if (!(e instanceof ApiError && e.status === 409)) return failure(e);
    }
  }
  for (;;) {
    let current;
    try {
      current = (await call("GET", `/v2/app-registrations/${reg._id}`)).data;
    } catch (e) {
      return failure(e);
    }
    if (SETTLED.includes(current.status)) return finished(current);
    if (!(current.progress && current.progress.endRequested)) return next();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A check failed and the flow allows another attempt: take it again, or go on to the decision. */
function retry(reg, kind) {
  const p = reg.progress[kind];
  const again = button(t("tryAgain"), () => (kind === "document" ? documentStep(reg, p, true) : selfieStep(reg, p, true)));
  const decline = h("button", { type: "button", class: "link", onclick: () => { state.declinedRetry = true; save(); waiting(reg); } }, t("finishAnyway"));
  screen(
    t(kind === "document" ? "retryDocumentTitle" : "retrySelfieTitle"),
    paragraph(t(kind === "document" ? "retryDocumentText" : "retrySelfieText")),
    paragraph(t("attemptsLeft", { n: p.attemptsLeft }), { class: "hint" }),
    h("div", { class: "actions" }, again, decline),
  );
}

function finished(reg) {
  const target = state.redirectUrl || flow().redirectUrl;
  const content = [h("p", { class: `outcome ${reg.status.toLowerCase()}`, role: "status" }, t(reg.status))];
  if (target && /^https?:\/\//i.test(target)) {
    content.push(h("a", { class: "primary button", href: target, target: "_self", id: "continue" }, t("backToSite")));
  }
  // The token has done its job: nothing in this tab can use it any more.
  state = {};
  save();
  setToken(null);
  screen(t("doneTitle"), ...content);
}

main();
