/** Client settings shared by every AWS SDK client a function builds. */
export interface AwsClientSettings {
  region: string;
  /** Emulators or LocalStack only. */
  endpoint?: string;
}

export function clientConfig(settings: AwsClientSettings) {
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // Lambda timeouts are minutes; a hung connection must fail well before that.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  };
}

export function settingsFrom(config: { AWS_REGION: string; AWS_ENDPOINT_URL?: string | undefined }): AwsClientSettings {
  return { region: config.AWS_REGION, ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}) };
}
