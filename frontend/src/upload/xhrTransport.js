// The browser transport for ChunkedUploader: XMLHttpRequest, because fetch cannot report how much
// of a request body has been sent (the progress bar moves within a chunk).

/** Resolves {status, data} (data: the parsed JSON body or null); rejects on a network error or abort. */
export function xhrTransport({ method, url, headers = {}, body = null, onProgress, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded));
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch (err) { /* not JSON: a proxy's error page */ }
      resolve({ status: xhr.status, data });
    });
    xhr.addEventListener('error', () => reject(new TypeError('network error')));
    xhr.addEventListener('timeout', () => reject(new TypeError('timeout')));
    xhr.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    if (signal) {
      if (signal.aborted) return xhr.abort();
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });
}
