// The job's download links, in the export's own order (ml.export.FORMATS via generated/tables.js).
// Results exist only once the job has succeeded: no links that would answer 404 before that.
import { FORMATS, PEOPLE_FILE_NAMES } from '../generated/tables.js';
import { DOWNLOAD_LABELS } from './dom.js';

/** [format, url] pairs: the known formats first, in FORMATS order, then anything else the server lists. */
export function orderedDownloads(urls) {
  const entries = Object.entries(urls || {}).filter(([, url]) => !!url);
  const rank = (fmt) => (FORMATS.includes(fmt) ? FORMATS.indexOf(fmt) : FORMATS.length);
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]));
}

/** The link's text; a several-people job's per-person formats come as a zip of one file each (PEOPLE_FILE_NAMES). */
export function downloadLabel(fmt, several = false) {
  const label = DOWNLOAD_LABELS[fmt] || fmt.toUpperCase();
  const zipped = several && String(PEOPLE_FILE_NAMES[fmt] || '').endsWith('.zip');
  return zipped ? `${label}, zip: one per person` : label;
}

export function renderDownloads(box, urls, status, doc = document, { several = false } = {}) {
  box.textContent = '';
  if (!urls || typeof urls !== 'object' || status !== 'succeeded') {
    box.hidden = true;
    return;
  }
  const label = doc.createElement('span');
  label.className = 'pv-dl-label';
  label.textContent = 'Download';
  box.appendChild(label);
  for (const [fmt, url] of orderedDownloads(urls)) {
    const a = doc.createElement('a');
    a.className = 'pv-btn pv-dl';
    a.href = url;
    a.setAttribute('download', '');
    a.dataset.format = fmt;
    a.textContent = downloadLabel(fmt, several);
    box.appendChild(a);
  }
  box.hidden = false;
}
