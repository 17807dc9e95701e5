export { MqttConnection, type IncomingMessage, type MqttConnectionOptions, type PublishOptions } from './connection.js';
export { startEmbeddedBroker, type BrokerUser, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
