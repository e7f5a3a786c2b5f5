// Conversation export: JSON (the messages as the API takes them, plus reasoning and
// timings) and Markdown (for reading). Pure functions of the conversation.

export function conversationJson(conv) {
  return JSON.stringify({
    object: 'deepgate.conversation',
    exported_at: new Date().toISOString(),
    model: conv.model,
    settings: conv.settings,
    messages: conv.messages.map((m) => {
      const out = { role: m.role, content: m.content };
      if (m.reasoning) out.reasoning_content = m.reasoning;
      if (m.stats) out.stats = m.stats;
      if (m.stopped) out.stopped = true;
      return out;
    }),
  }, null, 2);
}

// Markdown: a heading per turn, reasoning as a quote. Model text is written as it is, inside
// fenced blocks when it holds backticks or markup, so a viewer cannot mistake it for ours.
export function conversationMarkdown(conv) {
  const lines = [`# Conversation with ${conv.model || 'deepgate'}`, ''];
  for (const m of conv.messages) {
    lines.push(`## ${m.role === 'user' ? 'User' : 'Assistant'}`, '');
    if (m.reasoning) {
      lines.push('> **Reasoning**', '>');
      for (const l of m.reasoning.split('\n')) lines.push(`> ${l}`);
      lines.push('');
    }
    lines.push(fenceIfNeeded(m.content), '');
  }
  return lines.join('\n');
}

function fenceIfNeeded(text) {
  if (!/[`<>]/.test(text)) return text;
  let fence = '```';
  while (text.includes(fence)) fence += '`';
  return `${fence}text\n${text}\n${fence}`;
}
