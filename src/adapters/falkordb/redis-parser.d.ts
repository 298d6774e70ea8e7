// The parts of redis-parser 3 (CommonJS, no bundled types) that page-connection.ts uses.
declare module 'redis-parser' {
  interface ParserOptions {
    returnReply(reply: unknown): void;
    returnError(err: Error): void;
    returnFatalError?(err: Error): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }
  class RedisParser {
    constructor(options: ParserOptions);
    execute(data: Buffer): void;
  }
  export = RedisParser;
}
