import {resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type Token as LlamaToken} from "node-llama-cpp";
import type {Token} from "./ModelSequence.js";
import type {Tokenizer} from "./Tokenizer.js";

export type ChatMessage = {
    readonly role: "system" | "user" | "assistant",
    readonly content: string
};

/** A chat turned into the prompt of the assistant's next message. */
export type ChatPrompt = {
    readonly tokens: Token[],
    /** Stop strings the format needs (the plain format's next-turn marker); templates end turns with EOG tokens. */
    readonly stop: readonly string[]
};

/** The plain format for models whose GGUF has no chat template. */
const PLAIN_CHAT_ROLES = {system: "System", user: "User", assistant: "Assistant"} as const;
const PLAIN_TURN_STOP = "\nUser:";

/**
 * Formats chats with the model's own chat template when its GGUF has one (through node-llama-cpp's
 * template support), and otherwise with a plain documented format:
 * `System: …\nUser: …\nAssistant: …\n…Assistant:`, stopping at the next `\nUser:`.
 */
export class ChatFormatter {
    readonly #model: LlamaModel;
    readonly #tokenizer: Tokenizer;
    // Resolved once: the template does not change between requests.
    readonly #wrapper: ChatWrapper | undefined;

    public constructor(model: LlamaModel, tokenizer: Tokenizer) {
        this.#model = model;
        this.#tokenizer = tokenizer;
        this.#wrapper = typeof model.fileInfo.metadata.tokenizer?.chat_template === "string" ? resolveChatWrapper(model) : undefined;
    }

    public format(messages: readonly ChatMessage[]): ChatPrompt {
        return this.#wrapper == null ? this.#formatPlain(messages) : this.#formatWithTemplate(this.#wrapper, messages);
    }

    #formatPlain(messages: readonly ChatMessage[]): ChatPrompt {
        const text = messages.map((message) => `${PLAIN_CHAT_ROLES[message.role]}: ${message.content}\n`).join("") +
            `${PLAIN_CHAT_ROLES.assistant}:`;
        return {tokens: this.#tokenizer.encodePrompt(text), stop: [PLAIN_TURN_STOP]};
    }

    #formatWithTemplate(wrapper: ChatWrapper, messages: readonly ChatMessage[]): ChatPrompt {
        const chatHistory: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => message.role === "assistant"
            ? {type: "model", response: [message.content]}
            : {type: message.role, text: message.content});
        chatHistory.push({type: "model", response: []});
        const {contextText} = wrapper.generateContextState({chatHistory});
        return {tokens: contextText.tokenize(this.#model.tokenizer) as LlamaToken[] as Token[], stop: []};
    }
}
