/**
 * Every failure the protocol layer reports is a CupsProtocolError with a stable, machine-readable
 * `code`; callers branch on the class or the code, never on the message.
 */
export abstract class CupsProtocolError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
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
