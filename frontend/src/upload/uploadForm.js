// The home page's upload form, sent in resumable chunks (ChunkedUploader) with a progress bar, a
// retry notice and Cancel. Without this script (or without Blob.slice) the form posts in one request
// as before. Page contract (poseapp/templates/poseapp/home.html): #upload-form with input[name=video],
// the option fields, csrfmiddlewaretoken; #upload-progress holding #upload-bar, #upload-status and
// #upload-cancel; #upload-error (created if missing).
import { ChunkedUploader, UploadCancelled, progressText } from './chunkedUpload.js';
import { xhrTransport } from './xhrTransport.js';

// `people`: "one" or "several" (radios or a select: namedItem(...).value is the choice either way)
const OPTION_FIELDS = ['lifter', 'smoothing', 'complexity', 'height_m', 'people'];

function errorBox(form) {
  let box = form.querySelector('#upload-error');
  if (!box) {
    box = document.createElement('div');
    box.id = 'upload-error';
    box.className = 'error';
    box.setAttribute('role', 'alert');
    form.querySelector('input[name=video]').insertAdjacentElement('afterend', box);
  }
  return box;
}

export function enhanceUploadForm(form, { transport = xhrTransport, go = (url) => window.location.assign(url) } = {}) {
  const input = form && form.querySelector('input[name=video]');
  const panel = document.getElementById('upload-progress');
  if (!input || !panel || typeof Blob === 'undefined' || !Blob.prototype.slice) return null;
  const bar = panel.querySelector('#upload-bar');
  const status = panel.querySelector('#upload-status');
  const cancelButton = panel.querySelector('#upload-cancel');
  const submit = form.querySelector('button[type=submit]');
  const state = { uploader: null };

  const show = (text) => { status.textContent = text; };
  const reset = () => {
    state.uploader = null;
    panel.hidden = true;
    submit.disabled = false;
  };

  form.addEventListener('submit', async (ev) => {
    const file = input.files && input.files[0];
    if (!file || state.uploader) return; // no file: let the form say so, as without the script
    ev.preventDefault();
    const fields = {};
    for (const name of OPTION_FIELDS) {
      const el = form.elements.namedItem(name);
      if (el && el.value !== '') fields[name] = el.value;
    }
    errorBox(form).textContent = '';
    panel.hidden = false;
    submit.disabled = true;
    bar.value = 0;
    bar.max = 100;
    show('Starting the upload…');
    const uploader = new ChunkedUploader({
      file, fields, transport,
      csrfToken: form.elements.namedItem('csrfmiddlewaretoken').value,
      onProgress: ({ sent, total }) => {
        bar.value = total ? (100 * sent) / total : 100;
        show(`Uploading ${progressText(sent, total)}`);
      },
      onState: (name, info) => {
        if (name === 'retrying') show(`Connection lost; trying again in ${Math.ceil(info.delay / 1000)} s…`);
        if (name === 'finishing') show('Checking the video…');
      },
    });
    state.uploader = uploader;
    try {
      const job = await uploader.run();
      show('Uploaded. Opening the job…');
      go(job.url);
    } catch (err) {
      reset();
      errorBox(form).textContent = err instanceof UploadCancelled ? 'The upload was cancelled.' : err.message;
    }
  });

  cancelButton.addEventListener('click', () => {
    if (state.uploader) state.uploader.cancel();
  });
  form.dataset.chunked = 'ready'; // submitting now goes through /api/uploads/
  return state;
}
