// The home page's upload form, sent in resumable chunks (ChunkedUploader) with a progress bar, a
// retry notice and Cancel. Without this script (or without Blob.slice) the form posts in one request
// as before. Page contract (poseapp/templates/poseapp/home.html): #upload-form with input[name=video],
// the option fields, csrfmiddlewaretoken; #upload-progress holding #upload-bar, #upload-status and
// #upload-cancel; #upload-error (created if missing).
import { ChunkedUploader, UploadCancelled, progressText } from './chunkedUpload.js';
import { xhrTransport } from './xhrTransport.js';

// `people`: "one" or "several" (radios or a select: namedItem(...).value is the choice either way)
const OPTION_FIELDS = ['lifter', 'smoothing', 'complexity', 'height_m', 'people'];

/** The error line with this id (the page renders it only after a plain post), created where `place` puts it. */
function alertBox(form, id, place) {
  let box = form.querySelector(`#${id}`);
  if (!box) {
    box = document.createElement('div');
    box.id = id;
    box.className = 'error';
    box.setAttribute('role', 'alert');
    place(box);
  }
  return box;
}

const errorBox = (form) => alertBox(form, 'upload-error',
  (box) => form.querySelector('input[name=video]').insertAdjacentElement('afterend', box));

/** The height field's own error line; null on a form without the field. */
function heightErrorBox(form) {
  const input = form.elements.namedItem('height_m');
  return input ? alertBox(form, 'height-error', (box) => (input.parentElement || form).appendChild(box)) : null;
}

/** Shows a refused upload where the user looks: the video's and the other options' messages in the
 * main box, the height's under the height field. */
function showFailure(form, err) {
  const fields = err.fields || {};
  const height = fields.height_m || [];
  const hbox = heightErrorBox(form);
  if (hbox) hbox.textContent = height.join(' ');
  const others = Object.entries(fields)
    .filter(([name]) => name !== 'video' && name !== 'height_m')
    .map(([, msgs]) => msgs.join(' '));
  const main = fields.video && fields.video.length ? [err.message, ...others] : others;
  if (main.length) errorBox(form).textContent = main.join(' ');
  else errorBox(form).textContent = height.length && hbox ? 'Please correct the height below.' : err.message;
}

const MULTIPOSE = 'MoveNet MultiPose (several people)';

/** The 2D detector's select says which detector runs: MoveNet MultiPose while several people are chosen
 *  (shown as a chosen, disabled entry; the BlazePose choice comes back with one person). */
function showDetector(detector, several) {
  let multi = detector.querySelector('option[data-multipose]');
  if (several && !multi) {
    detector.dataset.blazepose = detector.value;
    multi = detector.ownerDocument.createElement('option');
    multi.dataset.multipose = '';
    multi.textContent = MULTIPOSE;
    multi.value = '';
    detector.append(multi);
    detector.value = '';
  } else if (!several && multi) {
    multi.remove();
    detector.value = detector.dataset.blazepose || '1';
  }
  detector.disabled = several;
  detector.title = several ? 'Several people are found by MoveNet MultiPose.' : '';
}

/** A height is one person's: the field is off while "several people" is chosen (the server refuses both). */
export function linkPeopleAndHeight(form) {
  const people = form && form.elements.namedItem('people');
  const height = form && form.elements.namedItem('height_m');
  const detector = form && form.elements.namedItem('complexity');
  if (!people || !height) return;
  const sync = () => {
    // several people: sizes come from the scene and the 2D detector is MoveNet MultiPose, so neither option applies
    const several = people.value === 'several';
    height.disabled = several;
    height.title = several ? 'Each person\'s size comes from the scene when several people are tracked.' : '';
    if (detector) showDetector(detector, several);
  };
  form.addEventListener('change', sync);
  sync();
}

/** Replace the page's job list with the server's current one (best effort: it stays as it was on failure). */
export async function refreshJobList(doc, fetchImpl = (u, o) => fetch(u, o)) {
  const list = doc.getElementById('job-list');
  if (!list) return;
  try {
    const res = await fetchImpl(doc.location ? doc.location.pathname : '/', { credentials: 'same-origin' });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('job-list');
    if (fresh) list.replaceWith(doc.importNode(fresh, true));
  } catch (_) {
    /* the list stays as it was */
  }
}

export function enhanceUploadForm(form, { transport = xhrTransport, go = (url) => window.location.assign(url),
  refresh = refreshJobList } = {}) {
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
      if (el && !el.disabled && el.value !== '') fields[name] = el.value;
    }
    errorBox(form).textContent = '';
    const hbox = form.querySelector('#height-error');
    if (hbox) hbox.textContent = '';
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
      if (job.queuedWhileDown) {
        // Redis is away: the video is kept in a queued job. Say so, with the job, and clear the choice
        // so that nobody uploads it a second time (issue 33).
        reset();
        input.value = '';
        const box = errorBox(form);
        box.textContent = `${job.queuedWhileDown} `;
        const link = form.ownerDocument.createElement('a');
        link.href = job.url;
        link.textContent = `Open job #${job.id}`;
        box.append(link);
        refresh(form.ownerDocument);
        return;
      }
      show('Uploaded. Opening the job…');
      go(job.url);
    } catch (err) {
      reset();
      if (err instanceof UploadCancelled) errorBox(form).textContent = 'The upload was cancelled.';
      else showFailure(form, err);
    }
  });

  cancelButton.addEventListener('click', () => {
    if (state.uploader) state.uploader.cancel();
  });
  form.dataset.chunked = 'ready'; // submitting now goes through /api/uploads/
  return state;
}
