/**
 * A `multipart/form-data` body (RFC 7578) of text fields and one file, as uploads to
 * OpenAI-compatible endpoints take it; sent as parts so the file is never copied.
 */
import { randomBytes } from 'node:crypto';

export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface MultipartBody {
  contentType: string;
  parts: Uint8Array[];
}

export function multipartBody(fields: Record<string, string>, file: MultipartFile): MultipartBody {
  const boundary = `goassist-${randomBytes(12).toString('hex')}`;
  const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      text(`--${boundary}\r\ncontent-disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`),
    );
  }
  parts.push(
    text(
      `--${boundary}\r\ncontent-disposition: form-data; name="${quoted(file.field)}"; ` +
        `filename="${quoted(file.filename)}"\r\ncontent-type: ${file.contentType}\r\n\r\n`,
    ),
    file.data,
    text(`\r\n--${boundary}--\r\n`),
  );
  return { contentType: `multipart/form-data; boundary=${boundary}`, parts };
}

/** Names are ours, but a quote or line break would end the header early: percent-encode them (RFC 7578 4.2). */
function quoted(name: string): string {
  return name.replace(/["\r\n%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
