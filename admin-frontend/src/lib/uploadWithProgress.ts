// A file upload that reports its progress (fetch cannot): XMLHttpRequest with the bearer token, and the
// same one refresh-and-retry on 401 as every other call (api/client.ts).
import { ApiError, expireSession, refreshTokens } from '../api/client';
import { getAccessToken } from '../api/tokens';
import type { Upload } from '../types';

function once(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    xhr.setRequestHeader('Accept', 'application/json');
    const token = getAccessToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: check your connection.'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort());
    const body = new FormData();
    body.append('file', file);
    xhr.send(body);
  });
}

function detail(xhr: XMLHttpRequest): string {
  try {
    const data = JSON.parse(xhr.responseText) as { detail?: unknown };
    if (typeof data.detail === 'string') return data.detail;
  } catch {
    // not JSON: fall through to the status
  }
  return xhr.status === 413 ? 'The file is too large.' : `Upload failed (HTTP ${xhr.status}).`;
}

/** POST /api/v1/uploads with progress (0..1); resolves to the stored upload. */
export async function uploadWithProgress(
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<Upload> {
  let xhr = await once(file, onProgress, signal);
  if (xhr.status === 401) {
    if (await refreshTokens()) xhr = await once(file, onProgress, signal);
    if (xhr.status === 401) {
      expireSession();
      throw new ApiError(401, 'Your session has expired. Please sign in again.');
    }
  }
  if (xhr.status !== 201 && xhr.status !== 200) throw new ApiError(xhr.status, detail(xhr));
  return JSON.parse(xhr.responseText) as Upload;
}
