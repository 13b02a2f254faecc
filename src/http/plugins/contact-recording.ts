import fp from 'fastify-plugin';
import type { ServiceObserver } from '../../metrics/service-metrics.ts';
import { ContactThrottle, ContactWriter } from '../../registry/contact-recorder.ts';
import type { GatewayRegistry, LastContact } from '../../registry/gateway-registry.ts';

export interface ContactRecordingOptions {
  registry: Pick<GatewayRegistry, 'recordContacts'>;
  observer?: Pick<ServiceObserver, 'registryError' | 'contactLag'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Records a gateway's contact when it is worth a write (see ContactThrottle), a second behind the answer. */
    recordContact(eui: string, report: Omit<LastContact, 'at'>): void;
  }
}

/** Gateways' last contacts: throttled, written in batches behind the answers, flushed on close. */
export const contactRecordingPlugin = fp<ContactRecordingOptions>(
  async (app, options) => {
    const contacts = new ContactThrottle();
    const writer = new ContactWriter(options.registry, (error, euis) => {
      options.observer?.registryError('contacts');
      app.log.error({ gateways: euis.length, euis: euis.slice(0, 20), err: error }, 'could not record the gateway contact');
    });
    options.observer?.contactLag(() => writer.lagMs() / 1000);
    app.addHook('onClose', () => writer.flush());
    app.decorate('recordContact', (eui: string, report: Omit<LastContact, 'at'>) => {
      if (contacts.shouldRecord(eui, report)) writer.record(eui, { at: new Date().toISOString(), ...report });
    });
  },
  { name: 'cups-contact-recording', fastify: '5.x' },
);
