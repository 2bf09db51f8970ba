// A Backend over an Engine in the same thread (Node, or inside the browser Worker).
import type { ChatRenderRequest, ChatRenderResult, Engine, EngineEvent, PromptInput } from './engine.js';
import type { Backend } from './model.js';
import type { DetokenizeOptions, GgufValue, ModelInfo, TokenizeOptions } from './types.js';
import type { GenerationRecord } from './options.js';
import type { EmbedOutput, EmbedRequest } from './embeddings.js';

export class LocalBackend implements Backend {
  readonly info: ModelInfo;
  readonly metadata: Record<string, GgufValue>;
  constructor(private readonly engine: Engine) {
    this.info = engine.info;
    this.metadata = engine.metadata;
  }
  async tokenize(text: string, opts: TokenizeOptions): Promise<number[]> {
    return this.engine.tokenize(text, opts);
  }
  async detokenize(ids: readonly number[], opts: DetokenizeOptions): Promise<string> {
    return this.engine.detokenize(ids, opts);
  }
  async tokenBytes(id: number): Promise<Uint8Array> {
    return this.engine.tokenBytes(id);
  }
  async metadataValue(key: string): Promise<GgufValue> {
    return this.engine.metadataValue(key);
  }
  async renderChat(req: ChatRenderRequest): Promise<ChatRenderResult> {
    return this.engine.renderChat(req);
  }
  generate(prompt: PromptInput, options: GenerationRecord, signal?: AbortSignal): AsyncIterable<EngineEvent> {
    return this.engine.generate(prompt, options, signal);
  }
  embed(req: EmbedRequest, signal?: AbortSignal): Promise<EmbedOutput> {
    return this.engine.embed(req, signal);
  }
  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
