// Passkeys for the portal. The only script it serves, loaded only by the passkey pages (their CSP allows 'self').
// A form marked data-passkey="create" or "get" asks the server for WebAuthn options (POST to data-options, with the
// form's anti-forgery token), lets the browser create or use a passkey, and posts the credential back in the form.
// What it says comes from the form (data-unsupported, data-failed), in the page's language.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form[data-passkey]');
  if (!form) {
    return;
  }

  const status = document.getElementById('passkey-status');
  const creating = form.dataset.passkey === 'create';
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    status.textContent = form.dataset.unsupported; // the page's words, in the reader's language
    form.querySelector('button').disabled = true;
    return;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    try {
      const response = await fetch(form.dataset.options, { method: 'POST', body: new FormData(form), credentials: 'same-origin' });
      if (!response.ok) {
        throw new Error('The portal answered ' + response.status);
      }

      const options = await response.json();
      const credential = creating
        ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
        : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      form.elements.credential.value = JSON.stringify(credential);
      form.submit(); // a plain post: the server checks the credential and answers with a page
    } catch {
      status.textContent = form.dataset.failed;
    }
  });
});
