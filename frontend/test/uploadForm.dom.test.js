// @vitest-environment happy-dom
// The upload form's options travel with the chunked upload, the one / several people choice included.
import { describe, it, expect } from 'vitest';
import { enhanceUploadForm, linkPeopleAndHeight } from '../src/upload/uploadForm.js';

function form(people) {
  document.body.innerHTML = `<form id="upload-form"><input type="hidden" name="csrfmiddlewaretoken" value="t">
    <input type="file" name="video"><select name="smoothing"><option value="light" selected>light</option></select>
    ${people}<button type="submit">Go</button>
    <div id="upload-progress" hidden><progress id="upload-bar"></progress><span id="upload-status"></span>
    <button type="button" id="upload-cancel">Cancel</button></div></form>`;
  return document.getElementById('upload-form');
}

async function startBody(f) {
  const sent = [];
  const transport = async (req) => {
    sent.push(req);
    if (req.method === 'POST' && req.url === '/api/uploads/') {
      return { status: 201, data: { url: '/api/uploads/u/', finish_url: '/api/uploads/u/finish/', offset: 0, chunk_size: 1024 } };
    }
    if (req.method === 'PATCH') return { status: 200, data: { offset: 3 } };
    return { status: 201, data: { id: 1, url: '/jobs/1/' } };
  };
  let opened = null;
  enhanceUploadForm(f, { transport, go: (u) => { opened = u; } });
  const input = f.querySelector('input[name=video]');
  Object.defineProperty(input, 'files', { value: [new File(['abc'], 'clip.mp4')] });
  f.dispatchEvent(new Event('submit', { cancelable: true }));
  for (let k = 0; k < 50 && !opened; k++) await new Promise((r) => setTimeout(r, 5));
  expect(opened).toBe('/jobs/1/');
  return JSON.parse(sent[0].body);
}

describe('upload form options', () => {
  it('sends the checked people radio', async () => {
    const body = await startBody(form(`<label><input type="radio" name="people" value="one">One</label>
      <label><input type="radio" name="people" value="several" checked>Several</label>`));
    expect(body).toMatchObject({ filename: 'clip.mp4', size: 3, smoothing: 'light', people: 'several' });
  });

  it('a form without the field sends no people (the server default: one)', async () => {
    const body = await startBody(form(''));
    expect('people' in body).toBe(false);
  });

  it('turns the height and the 2D detector off while several people are chosen, and does not send them', async () => {
    const f = form(`<select name="people"><option value="one" selected>One</option>
      <option value="several">Several</option></select><div class="height"><input name="height_m" value="1.7"></div>
      <select name="complexity"><option value="1" selected>Full</option><option value="2">Heavy</option></select>`);
    linkPeopleAndHeight(f);
    const height = f.elements.namedItem('height_m');
    const detector = f.elements.namedItem('complexity');
    expect(height.disabled).toBe(false);
    expect(detector.disabled).toBe(false);
    f.elements.namedItem('people').value = 'several';
    f.dispatchEvent(new Event('change'));
    expect(height.disabled).toBe(true);
    expect(detector.disabled).toBe(true);
    // it says which detector runs (issue 33: it still said "Full")
    expect(detector.selectedOptions[0].textContent).toBe('MoveNet MultiPose (several people)');
    const body = await startBody(f);
    expect(body.people).toBe('several');
    expect('height_m' in body).toBe(false);
    expect('complexity' in body).toBe(false);
    f.elements.namedItem('people').value = 'one';
    f.dispatchEvent(new Event('change'));
    expect(detector.disabled).toBe(false);
    expect(detector.selectedOptions[0].textContent).toBe('Full');  // the choice comes back
    expect(detector.options.length).toBe(2);
  });
});

describe('a refused upload', () => {
  async function refuse(fields) {
    const f = form('<div class="height"><input name="height_m" value="3"></div>');
    const transport = async () => ({ status: 400, data: { error: 'The upload was rejected.', fields } });
    enhanceUploadForm(f, { transport, go: () => {} });
    const input = f.querySelector('input[name=video]');
    Object.defineProperty(input, 'files', { value: [new File(['abc'], 'clip.mp4')] });
    f.dispatchEvent(new Event('submit', { cancelable: true }));
    for (let k = 0; k < 50 && !f.querySelector('#upload-error')?.textContent; k++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return { main: f.querySelector('#upload-error').textContent, height: f.querySelector('#height-error')?.textContent };
  }

  it('shows the height message under the height field', async () => {
    const { main, height } = await refuse({ height_m: ['Height must be between 0.5 and 2.5 metres.'] });
    expect(height).toBe('Height must be between 0.5 and 2.5 metres.');
    expect(main).toBe('Please correct the height below.');
  });

  it('says what is wrong with the other options, not only that it was rejected', async () => {
    const { main, height } = await refuse({ people: ['People must be "one" or "several".'] });
    expect(main).toBe('People must be "one" or "several".');
    expect(height).toBe('');
  });

  it('keeps the video message first', async () => {
    const { main } = await refuse({ video: ['This file is empty.'], smoothing: ['Smoothing must be one of …'] });
    expect(main).toBe('This file is empty. Smoothing must be one of …');
  });
});

describe('an upload finished while the job queue is down', () => {
  it('says the video is kept in a queued job, links it, clears the file and does not open a retry loop', async () => {
    const f = form('');
    document.body.insertAdjacentHTML('beforeend', '<section id="job-list"><p>No jobs yet.</p></section>');
    const sentence = 'Your video was saved, but the job queue is unavailable right now. It will start when the service is back. There is no need to upload it again.';
    let finishes = 0;
    const transport = async (req) => {
      if (req.method === 'POST' && req.url === '/api/uploads/') {
        return { status: 201, data: { url: '/api/uploads/u/', finish_url: '/api/uploads/u/finish/', offset: 0, chunk_size: 1024 } };
      }
      if (req.method === 'PATCH') return { status: 200, data: { offset: 3 } };
      finishes++;
      return { status: 503, data: { error: sentence, job: { id: 7, url: '/jobs/7/', status: 'queued' } } };
    };
    let opened = null, refreshed = 0;
    enhanceUploadForm(f, { transport, go: (u) => { opened = u; }, refresh: () => { refreshed++; } });
    const input = f.querySelector('input[name=video]');
    Object.defineProperty(input, 'files', { value: [new File(['abc'], 'clip.mp4')], configurable: true });
    f.dispatchEvent(new Event('submit', { cancelable: true }));
    for (let k = 0; k < 50 && !f.querySelector('#upload-error a'); k++) await new Promise((r) => setTimeout(r, 5));
    const box = f.querySelector('#upload-error');
    expect(box.textContent).toContain('There is no need to upload it again.');
    expect(box.querySelector('a').getAttribute('href')).toBe('/jobs/7/');
    expect(box.querySelector('a').textContent).toBe('Open job #7');
    expect(input.value).toBe('');
    expect(finishes).toBe(1);
    expect(opened).toBe(null);
    expect(refreshed).toBe(1); // the job list shows the new, queued job
    expect(f.querySelector('button[type=submit]').disabled).toBe(false);
  });
});
