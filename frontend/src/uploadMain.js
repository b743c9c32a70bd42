// Entry point (built to dist/upload.js): the home page's chunked, resumable upload form.
import { enhanceUploadForm } from './upload/uploadForm.js';

enhanceUploadForm(document.getElementById('upload-form'));
