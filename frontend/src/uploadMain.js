// Entry point (built to dist/upload.js): the home page's chunked, resumable upload form.
import { enhanceUploadForm, linkPeopleAndHeight } from './upload/uploadForm.js';

const form = document.getElementById('upload-form');
linkPeopleAndHeight(form);
enhanceUploadForm(form);
