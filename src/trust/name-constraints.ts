import { type DerElement, DerError, derBytes, derChildren, derElement, derOid, derString } from '../lib/der-reader.ts';

/**
 * A GeneralName (RFC 5280 4.2.1.6) in the forms a gateway certificate can carry and name
 * constraints are processed for: a directory name (its RDNs in canonical text), a DNS name and an
 * IP address (with its mask, in a constraint). Any other form is kept as its tag only.
 */
export type GeneralName =
  | { form: 'directoryName'; rdns: string[] }
  | { form: 'dNSName'; value: string }
  | { form: 'iPAddress'; bytes: Buffer }
  | { form: 'other'; tag: number };

export interface NameConstraints {
  permitted: GeneralName[];
  excluded: GeneralName[];
  /** Why these constraints cannot be processed (a form or field not supported): a path through the CA is refused. */
  unprocessable?: string;
}

const FORM_NAMES: Record<number, string> = {
  0: 'otherName',
  1: 'rfc822Name',
  3: 'x400Address',
  5: 'ediPartyName',
  6: 'uniformResourceIdentifier',
  8: 'registeredID',
};

function readGeneralName(der: Buffer, element: DerElement): GeneralName {
  const tag = element.tag & 0x1f;
  if (element.tag === 0x82) return { form: 'dNSName', value: derBytes(der, element).toString('latin1').toLowerCase() };
  if (element.tag === 0x87) return { form: 'iPAddress', bytes: derBytes(der, element) };
  if (element.tag === 0xa4) return { form: 'directoryName', rdns: canonicalRdns(der, derChildren(der, element)[0]!) };
  return { form: 'other', tag };
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] }, each a SEQUENCE of GeneralSubtree. */
export function readNameConstraints(der: Buffer, value: DerElement): NameConstraints {
  if (value.tag !== 0x30) throw new DerError('nameConstraints is not a SEQUENCE');
  const constraints: NameConstraints = { permitted: [], excluded: [] };
  for (const subtrees of derChildren(der, value)) {
    if (subtrees.tag !== 0xa0 && subtrees.tag !== 0xa1)
      throw new DerError('nameConstraints holds something other than permitted and excluded subtrees');
    for (const subtree of derChildren(der, subtrees)) {
      const [base, ...bounds] = derChildren(der, subtree);
      if (subtree.tag !== 0x30 || !base) throw new DerError('a GeneralSubtree is malformed');
      const name = readGeneralName(der, base);
      // RFC 5280: minimum is 0 and maximum absent; anything else is a profile nobody uses.
      if (bounds.length > 0) constraints.unprocessable ??= 'a name constraint with a minimum or maximum';
      else if (name.form === 'other')
        constraints.unprocessable ??= `a name constraint on ${FORM_NAMES[name.tag] ?? `names of tag ${name.tag}`}`;
      else if (name.form === 'iPAddress' && name.bytes.length !== 8 && name.bytes.length !== 32)
        throw new DerError('an iPAddress name constraint is not an address and mask');
      (subtrees.tag === 0xa0 ? constraints.permitted : constraints.excluded).push(name);
    }
  }
  return constraints;
}

/** A Name's RDNs as canonical text (attribute OID = value, case and runs of spaces folded, as OpenSSL compares them). */
export function canonicalRdns(der: Buffer, name: DerElement): string[] {
  if (name.tag !== 0x30) throw new DerError('a Name is not a SEQUENCE');
  return derChildren(der, name).map((rdn) =>
    derChildren(der, rdn)
      .map((attribute) => {
        const [type, value] = derChildren(der, attribute);
        let text: string;
        try {
          text = derString(der, value!).trim().replace(/\s+/g, ' ').toLowerCase();
        } catch {
          text = `#${derBytes(der, value!).toString('hex')}`;
        }
        return `${derOid(der, type!)}=${text}`;
      })
      .sort()
      .join('+'),
  );
}

/** The names of one certificate that name constraints apply to. */
export interface ConstrainedNames {
  subjectRdns: string[];
  altNames: readonly GeneralName[];
}

/**
 * Why `names` break `constraints` (RFC 5280 4.2.1.10: every name of a constrained form lies in a
 * permitted subtree of that form and in no excluded one), or undefined when they do not.
 */
export function nameConstraintViolation(constraints: NameConstraints, names: ConstrainedNames): string | undefined {
  if (constraints.unprocessable) return `its name constraints cannot be processed (${constraints.unprocessable})`;
  const subject: GeneralName[] = names.subjectRdns.length ? [{ form: 'directoryName', rdns: names.subjectRdns }] : [];
  const all = [...subject, ...names.altNames];
  return (
    formViolation(
      constraints,
      ofForm(all, 'directoryName'),
      'directoryName',
      (name, base) => base.rdns.every((rdn, i) => rdn === name.rdns[i]),
      (name) => name.rdns.join(','),
    ) ??
    formViolation(
      constraints,
      ofForm(all, 'dNSName'),
      'dNSName',
      (name, base) => dnsWithin(name.value, base.value),
      (name) => name.value,
    ) ??
    formViolation(
      constraints,
      ofForm(all, 'iPAddress'),
      'iPAddress',
      (name, base) => ipWithin(name.bytes, base.bytes),
      (name) => name.bytes.toString('hex'),
    )
  );
}

type NameOf<F extends GeneralName['form']> = Extract<GeneralName, { form: F }>;

function ofForm<F extends GeneralName['form']>(list: readonly GeneralName[], form: F): NameOf<F>[] {
  return list.filter((name): name is NameOf<F> => name.form === form);
}

function formViolation<F extends GeneralName['form']>(
  constraints: NameConstraints,
  names: NameOf<F>[],
  form: F,
  within: (name: NameOf<F>, base: NameOf<F>) => boolean,
  show: (name: NameOf<F>) => string,
): string | undefined {
  const permitted = ofForm(constraints.permitted, form);
  const excluded = ofForm(constraints.excluded, form);
  for (const name of names) {
    if (permitted.length > 0 && !permitted.some((base) => within(name, base)))
      return `the ${form} "${show(name)}" is outside its permitted names`;
    if (excluded.some((base) => within(name, base))) return `the ${form} "${show(name)}" is among its excluded names`;
  }
  return undefined;
}

function dnsWithin(name: string, base: string): boolean {
  if (base === '') return true;
  if (base.startsWith('.')) return name.endsWith(base);
  return name === base || name.endsWith(`.${base}`);
}

function ipWithin(address: Buffer, constraint: Buffer): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

/** Reads a subjectAltName value (GeneralNames). */
export function readAltNames(der: Buffer): GeneralName[] {
  const names = derElement(der, 0, der.length);
  if (names.tag !== 0x30) throw new DerError('subjectAltName is not a SEQUENCE');
  return derChildren(der, names).map((name) => readGeneralName(der, name));
}
