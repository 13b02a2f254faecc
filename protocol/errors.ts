/**
 * The one error base of the project: a stable, machine-readable `code`, a message for humans and
 * the `cause` when there is one. Callers branch on the class or the code, never on the message;
 * what a code means to HTTP or to a shell is decided at that edge, not here.
 */
export class CupsError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Every failure the protocol layer reports is a CupsProtocolError. */
export abstract class CupsProtocolError extends CupsError {
  abstract override readonly code: string;
  constructor(message: string) {
    super('protocol_error', message);
  }
}

/** A value that is not a well-formed EUI-64 in any accepted spelling. */
export class InvalidEuiError extends CupsProtocolError {
  readonly code = 'invalid_eui';
}

/** An update-info request body that is not valid JSON or does not match the request schema. */
export class InvalidRequestError extends CupsProtocolError {
  readonly code = 'invalid_request';
}

/** A response that cannot be put on the wire (a field too long for its length prefix). */
export class UnencodableResponseError extends CupsProtocolError {
  readonly code = 'response_unencodable';
}

/** A binary update-info response that does not follow the station's layout. */
export class MalformedResponseError extends CupsProtocolError {
  readonly code = 'response_malformed';
  constructor(
    readonly offset: number,
    detail: string,
  ) {
    super(`malformed update-info response at byte offset ${offset}: ${detail}`);
  }
}

/** Credentials (PEM, DER or a blob) that the station could not use. */
export class InvalidCredentialsError extends CupsProtocolError {
  readonly code = 'credentials_invalid';
}

/** A firmware signing key or signature that is malformed or does not verify. */
export class InvalidSignatureError extends CupsProtocolError {
  readonly code = 'signature_invalid';
}
