// Twofold hosted pages: security keys, this device and passkeys (WebAuthn).
//
// An element `[data-webauthn="create"|"get"]` inside (or being) a form holds the ceremony's
// options as JSON in `data-options` (the CSP allows no inline script). Submitting the form
// runs navigator.credentials.create()/get(), puts the browser's `credential.toJSON()` in the
// form's hidden `authn_response` and submits it for real; a refusal by the browser is shown
// in the form's `[data-webauthn-error]`. `data-autofill` also offers passkeys in the email
// field's autofill (conditional mediation). A hidden holder is shown once WebAuthn works.
"use strict";

(() => {
  const MESSAGES = {
    cancelled: "The request was cancelled. Try again when you are ready.",
    timedOut: "The request timed out. Try again.",
    registered:
      "This security key or device is already registered. Use another one, or remove it first.",
    notAllowed: "This security key or device cannot be used here. Use another one.",
    insecure: "Security keys only work on this site's own address. Check the address bar.",
    unsupported:
      "This browser or device cannot use security keys or passkeys. Use another method.",
    noVerification:
      "This device cannot verify you: set up a fingerprint, face or screen lock first.",
    failed: "Something went wrong with your security key or device. Try again.",
  };

  const base64url = {
    encode(buffer) {
      let text = "";
      for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
      return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
    decode(text) {
      const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
      const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
      return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0)).buffer;
    },
  };

  const descriptor = (item) => ({ ...item, id: base64url.decode(item.id) });

  // The browser's own JSON parsers where it has them; the same conversion by hand otherwise.
  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: base64url.decode(json.challenge),
      user: { ...json.user, id: base64url.decode(json.user.id) },
      excludeCredentials: (json.excludeCredentials || []).map(descriptor),
    };
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: base64url.decode(json.challenge),
      allowCredentials: (json.allowCredentials || []).map(descriptor),
    };
  }

  function toJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const response = credential.response;
    const encoded = { clientDataJSON: base64url.encode(response.clientDataJSON) };
    if (response.attestationObject) {
      encoded.attestationObject = base64url.encode(response.attestationObject);
      if (response.getTransports) encoded.transports = response.getTransports();
      if (response.getAuthenticatorData) {
        encoded.authenticatorData = base64url.encode(response.getAuthenticatorData());
      }
      if (response.getPublicKeyAlgorithm) {
        encoded.publicKeyAlgorithm = response.getPublicKeyAlgorithm();
      }
    } else {
      encoded.authenticatorData = base64url.encode(response.authenticatorData);
      encoded.signature = base64url.encode(response.signature);
      encoded.userHandle = response.userHandle ? base64url.encode(response.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: base64url.encode(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      response: encoded,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  // What the browser's refusal means to a person. NotAllowedError covers both a cancel and
  // a timeout, told apart by the time it took.
  function messageFor(error, mode, elapsed, timeout) {
    switch (error && error.name) {
      case "NotAllowedError":
        return elapsed >= timeout * 0.95 ? MESSAGES.timedOut : MESSAGES.cancelled;
      case "InvalidStateError":
        return mode === "create" ? MESSAGES.registered : MESSAGES.notAllowed;
      case "SecurityError":
        return MESSAGES.insecure;
      case "NotSupportedError":
        return MESSAGES.unsupported;
      case "ConstraintError":
        return MESSAGES.noVerification;
      default:
        return MESSAGES.failed;
    }
  }

  function ceremony(mode, options, extra = {}) {
    if (mode === "create") {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }
    return navigator.credentials.get({ publicKey: requestOptions(options), ...extra });
  }

  function setUp(holder) {
    const form = holder.closest("form");
    const mode = holder.dataset.webauthn;
    const options = JSON.parse(holder.dataset.options);
    const timeout = options.timeout || 60000;
    const answer = form.querySelector('input[name="authn_response"]');
    const button = form.querySelector("[data-webauthn-start]");
    const errorBox = form.querySelector("[data-webauthn-error]");
    const show = (text) => {
      errorBox.textContent = text;
      errorBox.classList.remove("hidden");
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      if (!holder.classList.contains("hidden")) {
        show(MESSAGES.unsupported);
        button.disabled = true;
      }
      return;
    }
    holder.classList.remove("hidden");
    let autofill = null; // the AbortController of a pending conditional request
    let busy = false;
    const submitWith = (credential) => {
      answer.value = JSON.stringify(toJSON(credential));
      form.submit();
    };

    form.addEventListener("submit", async (event) => {
      if (answer.value) return;
      event.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      errorBox.classList.add("hidden");
      if (autofill) autofill.abort(); // one request at a time: the button's replaces it
      autofill = null;
      const started = Date.now();
      try {
        submitWith(await ceremony(mode, options));
      } catch (error) {
        show(messageFor(error, mode, Date.now() - started, timeout));
        button.disabled = false;
        busy = false;
      }
    });

    if (holder.dataset.autofill !== undefined && mode === "get") {
      offerInAutofill();
    }

    async function offerInAutofill() {
      const available = PublicKeyCredential.isConditionalMediationAvailable;
      if (typeof available !== "function" || !(await available.call(PublicKeyCredential))) {
        return;
      }
      autofill = new AbortController();
      const started = Date.now();
      try {
        const credential = await ceremony(mode, options, {
          mediation: "conditional",
          signal: autofill.signal,
        });
        autofill = null;
        submitWith(credential);
      } catch (error) {
        if (error && error.name !== "AbortError" && !busy) {
          show(messageFor(error, mode, Date.now() - started, timeout));
        }
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const holder of document.querySelectorAll("[data-webauthn]")) setUp(holder);
  });
})();
