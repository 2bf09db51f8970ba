// Public entry points: Template::parse/render, render() and apply_chat_template() with the context
// transformers builds for tokenizer.apply_chat_template(tokenize=False).
#include "core/template/chat_template.h"

#include "core/template/interp.h"

namespace chord::tmpl {

struct Template::Impl {
  Body body;
};

Result<Template> Template::parse(std::string_view source) {
  CHORD_ASSIGN_OR_RETURN(Body body, parse_template(source));
  auto impl = std::make_shared<Impl>();
  impl->body = std::move(body);
  Template t;
  t.impl_ = std::move(impl);
  return t;
}

Result<std::string> Template::render(const Value& context, const RenderOptions& opts) const {
  if (!impl_) return Status(Code::invalid_argument, "template not parsed");
  if (!context.is_object() && !context.is_null())
    return Status(Code::invalid_argument, "template context must be an object");
  Renderer r(opts, context);
  std::string out;
  CHORD_TRY(r.run(impl_->body, out));
  return out;
}

Result<std::string> render(std::string_view template_source, const Value& context, const RenderOptions& opts) {
  CHORD_ASSIGN_OR_RETURN(Template t, Template::parse(template_source));
  return t.render(context, opts);
}

Result<std::string> apply_chat_template(std::string_view tmpl, const Value& messages, bool add_generation_prompt,
                                        std::string_view bos, std::string_view eos, const Value& extra,
                                        const RenderOptions& opts) {
  if (!messages.is_array()) return Status(Code::invalid_argument, "messages must be an array");
  if (!extra.is_null() && !extra.is_object()) return Status(Code::invalid_argument, "extra must be an object");
  Object ctx;
  ctx.set("messages", messages);
  ctx.set("add_generation_prompt", Value(add_generation_prompt));
  ctx.set("bos_token", Value(std::string(bos)));
  ctx.set("eos_token", Value(std::string(eos)));
  for (const auto& [key, value] : extra.as_object().entries) {
    // No tools / documents means undefined, not None (see the header).
    if (value.is_null() && (key == "tools" || key == "documents")) continue;
    ctx.set(key, value);
  }
  return render(tmpl, Value::object(std::move(ctx)), opts);
}

}  // namespace chord::tmpl
