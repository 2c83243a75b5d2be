// The libedit prompt (see repl.hpp).
#include "console/repl.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include <editline/readline.h>

namespace sagaforge::console {

namespace {

session* current = nullptr;  // libedit's completion hook has no user data pointer
volatile std::sig_atomic_t prompt_interrupted = 0;

extern "C" void on_prompt_interrupt(int) {
  prompt_interrupted = 1;
}
std::vector<std::string> candidates;
size_t next_candidate = 0;

std::set<std::string> first_words() {
  std::set<std::string> out{"help", "quit"};
  for (auto& c : all_commands())
    out.insert(c.name.substr(0, c.name.find(' ')));
  return out;
}

const command* command_of(const std::vector<std::string>& w) {
  if (w.size() > 1)  // a two-word name first: "saga retry" before "saga"
    for (auto& c : all_commands())
      if (c.name == w[0] + " " + w[1])
        return &c;
  for (auto& c : all_commands()) {
    auto sp = c.name.find(' ');
    if (sp == std::string::npos ? (!w.empty() && w[0] == c.name)
                                : (w.size() > 1 && c.name == w[0] + " " + w[1]))
      return &c;
  }
  return nullptr;
}

char* generate(const char*, int state) {
  if (state == 0)
    next_candidate = 0;
  if (next_candidate >= candidates.size())
    return nullptr;
  return ::strdup(candidates[next_candidate++].c_str());
}

char** attempt(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  std::vector<std::string> words;
  std::string why;
  split_words(std::string{rl_line_buffer, static_cast<size_t>(start)}, words, why);
  candidates = complete(*current, words, text);
  if (candidates.empty())
    return nullptr;
  return rl_completion_matches(text, generate);
}

bool ask(const std::string& question) {
  char* line = ::readline(question.c_str());
  if (!line) {  // Ctrl-D or Ctrl-C: no
    prompt_interrupted = 0;
    return false;
  }
  std::string a{line};
  std::free(line);
  return a == "y" || a == "Y" || a == "yes";
}

}  // namespace

std::vector<std::string> complete(const session& s, const std::vector<std::string>& before,
                                  const std::string& prefix) {
  std::set<std::string> pool;
  if (before.empty()) {
    pool = first_words();
  } else if (before.size() == 1 && before[0] == "dl") {
    pool = {"ls", "show", "replay", "drop"};
  } else if (before.size() == 1 && before[0] == "saga" && (prefix.empty() || prefix[0] != '-')) {
    pool = {"retry", "compensate", "skip"};  // the actions, or a saga of the last listings
    pool.insert(s.refs.begin(), s.refs.end());
  } else if (before[0] == "watch" && before.size() == 1) {
    pool = first_words();
    pool.insert(s.refs.begin(), s.refs.end());
  } else if (auto* c = command_of(before); c && !prefix.empty() && prefix[0] == '-') {
    pool.insert(c->flags.with_value.begin(), c->flags.with_value.end());
    pool.insert(c->flags.switches.begin(), c->flags.switches.end());
  } else if (c) {
    auto& n = c->name;
    if (n == "ls")
      pool = s.types;
    else if (n == "dl show" || n == "dl replay" || n == "dl drop")
      pool = s.dead_letter_ids;
    else if (n == "show" || n == "history" || n == "outbox" || n == "passivate" || n == "send"
             || n == "saga" || n == "saga retry" || n == "saga compensate" || n == "saga skip")
      pool = s.refs;
    if (!before.empty() && (before.back() == "--receiver-type" || before.back() == "--type"))
      pool = s.types;
  }
  std::vector<std::string> out;
  for (auto& p : pool)
    if (p.compare(0, prefix.size(), prefix) == 0)
      out.push_back(p);
  return out;
}

int run_repl(session& s, const std::string& history_file) {
  auto hello = s.node->get("/admin/v1/node");
  if (!hello.ok()) {
    std::cerr << "error: " << hello.error << "\n";
    return hello.code;
  }
  if (auto t = s.node->get("/admin/v1/types"); t.ok())
    for (auto& i : t.body.value("items", json::array()))
      s.types.insert(i.value("type", ""));
  current = &s;
  // Ctrl-C at the prompt drops the line instead of ending the session (libedit's readline
  // returns null for it as for Ctrl-D; the flag tells them apart). `watch` installs its own
  // handler to stop, and restores this one.
  struct sigaction sa {};
  sa.sa_handler = on_prompt_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  s.interactive = true;
  s.confirm = ask;
  rl_readline_name = const_cast<char*>("sagaforge");
  rl_attempted_completion_function = attempt;
  stifle_history(1000);
  if (!history_file.empty())
    read_history(history_file.c_str());
  std::cout << "connected to " << s.node->url() << " (" << hello.body.value("data_dir", "")
            << ", " << hello.body["entities"].value("known", 0) << " entities); 'help' lists commands, Ctrl-D quits\n";
  int last = exit_ok;
  for (;;) {
    char* raw = ::readline("sagaforge> ");
    if (!raw && prompt_interrupted) {
      prompt_interrupted = 0;
      std::cout << "\n";
      continue;
    }
    if (!raw)
      break;  // Ctrl-D
    std::string line{raw};
    std::free(raw);
    std::vector<std::string> words;
    std::string why;
    if (!split_words(line, words, why)) {
      std::cerr << "error: " << why << "\n";
      continue;
    }
    if (words.empty())
      continue;
    add_history(line.c_str());
    if (!history_file.empty())
      write_history(history_file.c_str());
    if (words[0] == "quit" || words[0] == "exit")
      break;
    last = print_outcome(s, run_line(s, words));
  }
  std::cout << "\n";
  if (!history_file.empty())
    write_history(history_file.c_str());
  current = nullptr;
  (void)last;  // a failed command is told when it happens; leaving the prompt is success
  return exit_ok;
}

}  // namespace sagaforge::console
