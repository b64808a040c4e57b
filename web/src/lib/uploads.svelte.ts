// The files a composer is about to send: each is uploaded as soon as it is
// chosen, dropped or pasted (POST /uploads), shown as a chip with its
// progress, and sent by id with the ticket or comment (attachment_ids).
// One instance per form; the page calls `clear()` once the form is sent.
import { ApiError, upload, type UploadHandle } from './api';
import { errorText } from './errors';
import { locale, t } from './i18n.svelte';

/** The server's limit per file (docs/api.md): checked here first, so a large file is not sent in vain. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export interface PendingFile {
  key: number;
  name: string;
  size: number;
  state: 'uploading' | 'done' | 'failed';
  progress: number; // 0..1
  id: number | null; // the upload's id once stored
  error: string;
}

let nextKey = 1;

/** "captura-2026-12-02-1030.png": a name for a pasted screenshot, in the user's language and zone. */
export function screenshotName(type: string, when = new Date()): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: locale.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(when)
      .map((p) => [p.type, p.value]),
  );
  const ext = (/^image\/(png|jpeg|gif|webp)$/.exec(type)?.[1] ?? 'png').replace('jpeg', 'jpg');
  const stem = t('upload.screenshotStem');
  return `${stem}-${parts.year}-${parts.month}-${parts.day}-${parts.hour}${parts.minute}.${ext}`;
}

export class Uploads {
  items = $state<PendingFile[]>([]);
  /** Says what just happened to a file, for a polite live region. */
  announcement = $state('');
  /** A file is being dragged over the form. */
  dragging = $state(false);
  private handles = new Map<number, UploadHandle>();

  /** The ids to send: the files stored so far. */
  get ids(): number[] {
    return this.items.filter((f) => f.state === 'done' && f.id !== null).map((f) => f.id as number);
  }

  get uploading(): boolean {
    return this.items.some((f) => f.state === 'uploading');
  }

  get failed(): boolean {
    return this.items.some((f) => f.state === 'failed');
  }

  /** Why the form may not be sent yet, or '' when it may. */
  get blocker(): string {
    if (this.uploading) return t('upload.waitForUploads');
    if (this.failed) return t('upload.removeFailed');
    return '';
  }

  add(files: Iterable<File>): void {
    for (const file of files) this.start(file);
  }

  private start(file: File): void {
    const key = nextKey++;
    const item: PendingFile = { key, name: file.name, size: file.size, state: 'uploading', progress: 0, id: null, error: '' };
    if (file.size > MAX_UPLOAD_BYTES) {
      this.items.push({ ...item, state: 'failed', error: t('upload.tooLarge', { max: 25 }) });
      this.announcement = t('upload.failedNamed', { name: file.name });
      return;
    }
    this.items.push(item);
    const h = upload(file, (p) => this.patch(key, { progress: p }));
    this.handles.set(key, h);
    h.done.then(
      (u) => {
        this.handles.delete(key);
        if (!this.find(key)) return;
        this.patch(key, { state: 'done', progress: 1, id: u.id, name: u.filename || file.name });
        this.announcement = t('upload.doneNamed', { name: file.name });
      },
      (e) => {
        this.handles.delete(key);
        if (!this.find(key)) return; // removed while it went up
        this.patch(key, { state: 'failed', error: uploadError(e) });
        this.announcement = t('upload.failedNamed', { name: file.name });
      },
    );
  }

  private find(key: number): PendingFile | undefined {
    return this.items.find((f) => f.key === key);
  }

  private patch(key: number, change: Partial<PendingFile>): void {
    const i = this.items.findIndex((f) => f.key === key);
    if (i >= 0) this.items[i] = { ...this.items[i], ...change };
  }

  /** Takes a file off the form (stopping its upload); a stored one is forgotten by the server later. */
  remove(key: number): void {
    const f = this.find(key);
    this.handles.get(key)?.abort();
    this.handles.delete(key);
    this.items = this.items.filter((x) => x.key !== key);
    if (f) this.announcement = t('upload.removedNamed', { name: f.name });
  }

  /** After the form was sent: the files went with it. */
  clear(): void {
    for (const h of this.handles.values()) h.abort();
    this.handles.clear();
    this.items = [];
    this.announcement = '';
  }

  // Drag and drop onto the form, and paste of a screenshot into it.
  dragover = (e: DragEvent): void => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  dragleave = (e: DragEvent): void => {
    // Leaving for a child of the form is not leaving the form.
    const to = e.relatedTarget as Node | null;
    if (to && (e.currentTarget as Node).contains(to)) return;
    this.dragging = false;
  };

  drop = (e: DragEvent): void => {
    this.dragging = false;
    const files = e.dataTransfer?.files;
    if (!files || files.length === 0) return;
    e.preventDefault();
    this.add(files);
  };

  paste = (e: ClipboardEvent): void => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length === 0) return; // text is pasted as text
    e.preventDefault();
    this.add(
      files.map((f) =>
        // A screenshot comes as "image.png" (or nameless): give it a name that says what and when.
        f.type.startsWith('image/') && (!f.name || /^image\.\w+$/i.test(f.name))
          ? new File([f], screenshotName(f.type), { type: f.type, lastModified: Date.now() })
          : f,
      ),
    );
  };
}

function uploadError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 413) return t('upload.tooLarge', { max: 25 });
    if (e.status === 404) return t('upload.notAvailable');
    if (e.status === 400 || e.status === 415 || e.status === 422) return t('upload.refused');
  }
  return errorText(e);
}

/** A size in words: "812 B", "14 KB", "2.3 MB", in the user's language. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 10 ? 0 : 1;
  return `${v.toLocaleString(locale.lang, { maximumFractionDigits: digits })} ${units[u]}`;
}
