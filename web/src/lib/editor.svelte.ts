// The state of an admin page's side editor: what is being edited, the
// "saved" notice, and the form's errors (overall and by field).
import { errorText, fieldErrors, type ErrorContext } from './errors';
import { t } from './i18n.svelte';

export class Editor<T> {
  editing = $state<T | null>(null);
  saved = $state('');
  formError = $state('');
  fields = $state<Record<string, string>>({});

  /** Opens the editor on a new or existing record. */
  open(value: T): void {
    this.editing = value;
    this.saved = '';
    this.formError = '';
    this.fields = {};  // errors of a previous record do not belong to this one
  }

  close(): void {
    this.editing = null;
  }

  /** Runs `action` on the draft; on success closes, says "saved" and reloads; on failure shows the errors. */
  async save(
    action: (draft: T) => Promise<unknown>,
    reload: () => Promise<unknown>,
    ctx: ErrorContext = {},
  ): Promise<void> {
    if (!this.editing) return;
    this.formError = '';
    this.fields = {};
    try {
      await action(this.editing);
      this.editing = null;
      this.saved = t('common.saved');
      await reload();
    } catch (err) {
      this.formError = errorText(err, ctx);
      this.fields = fieldErrors(err);
    }
  }

  /**
   * The submit of an editor of a named record: the name trimmed, `prepare`
   * applied, then `update` when the record has an id and `create` when not.
   */
  submit<B>(
    e: SubmitEvent,
    api: { create: (body: B) => Promise<unknown>; update: (id: number, body: B) => Promise<unknown> },
    reload: () => Promise<unknown>,
    prepare: (body: B) => B = (b) => b,
  ): Promise<void> {
    e.preventDefault();
    return this.save(async (draft) => {
      const { id, ...rest } = draft as T & { id?: number; name: string };
      const body = prepare({ ...rest, name: rest.name.trim() } as unknown as B);
      if (id) await api.update(id, body);
      else await api.create(body);
    }, reload);
  }
}

/** Deletes, then reloads; the error's text, or '' when all went well. */
export async function removeAndReload(
  remove: () => Promise<unknown>,
  reload: () => Promise<unknown>,
): Promise<string> {
  try {
    await remove();
    await reload();
    return '';
  } catch (err) {
    return errorText(err);
  }
}
