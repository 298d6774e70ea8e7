/** A Qdrant error response: an HTTP status and the text Qdrant puts in `status.error`. */
export class QdrantHttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Plain-text body instead of the JSON envelope (Qdrant's auth middleware answers this way). */
  readonly plain: boolean;

  constructor(status: number, message: string, opts: { headers?: Record<string, string>; plain?: boolean } = {}) {
    super(message);
    this.status = status;
    this.headers = opts.headers ?? {};
    this.plain = opts.plain ?? false;
  }
}

/** StorageError::NotFound for a collection (Qdrant's `validate_collection_exists`). */
export const collectionNotFound = (name: string): QdrantHttpError =>
  new QdrantHttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);

/** StorageError::AlreadyExists (HTTP 409, text "Wrong input: …"). */
export const collectionExists = (name: string): QdrantHttpError =>
  new QdrantHttpError(409, `Wrong input: Collection \`${name}\` already exists!`);

/** StorageError::BadInput (HTTP 400). */
export const badInput = (description: string): QdrantHttpError => new QdrantHttpError(400, `Wrong input: ${description}`);

/** actix-web-validator deserialisation failure: HTTP 400 "Format error in JSON body: …". */
export const formatError = (description: string): QdrantHttpError =>
  new QdrantHttpError(400, `Format error in JSON body: ${description}`);

/** validator failure: HTTP 422 "Validation error in JSON body: [field: message]". */
export const validationError = (field: string, message: string, where = 'JSON body'): QdrantHttpError =>
  new QdrantHttpError(422, `Validation error in ${where}: [${field}: ${message}]`);

/** The text the `validator` crate renders for a range check, as Qdrant labels it. */
export const rangeMessage = (value: unknown, min: number): string => `value ${String(value)} invalid, must be ${min} or larger`;
