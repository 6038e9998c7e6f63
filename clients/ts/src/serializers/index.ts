export {
  bytesSerde,
  customSerde,
  DeserializationError,
  type Deserializer,
  jsonSerde,
  type Serde,
  type Serializer,
  stringSerde,
} from './serializers';
