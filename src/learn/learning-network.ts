import type { Profile } from '../config/profile-schema.ts';
import { WardenError } from '../errors.ts';
import type { EgressMode } from '../network/egress-settings.ts';
import { NETWORK_DEFAULTS } from '../network/egress-settings.ts';

/**
 * The profile's `network` while learning with --learn-network: always the proxied allowlist (so every
 * connection is seen and recorded), keeping the profile's deny, resolve, allowPrivate and caps. `true`
 * (the unfiltered host network) is refused: nothing would see the hosts the server reaches.
 */
export function learningNetwork(network: Profile['network'], profileName: string): Profile['network'] {
  if (network === true) {
    throw new WardenError(
      'config',
      `profile "${profileName}" gives the server the unfiltered host network (network: true): learn cannot observe the hosts it reaches`,
      {
        hint: 'use a profile with network false or an allowlist object; --learn-network then records every host through the proxy',
      },
    );
  }
  return network === false ? { ...NETWORK_DEFAULTS, allow: [], deny: [], resolve: {} } : network;
}

/** The egress mode with --learn-network: a proxied mode lets any host through its allowlist (see EgressPolicy.anyHost). */
export function learningEgress(mode: EgressMode): EgressMode {
  if (mode.kind !== 'proxy') return mode;
  return { ...mode, policy: { ...mode.policy, anyHost: true } };
}
