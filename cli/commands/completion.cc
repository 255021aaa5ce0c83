// vpvm completion bash: a bash completion script, made from the commands' own definitions.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands/commands.h"

namespace vpvm::cli {
namespace {

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// Appends the `case` arms for `app` (reached through `path`) and all below it.
void AddArms(CLI::App& app, const std::string& path, const std::vector<std::string>& globals,
             std::string& commands, std::string& options) {
  std::vector<std::string> names;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
    AddArms(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), globals, commands,
            options);
  }
  std::vector<std::string> own = OptionNames(app);
  if (!path.empty()) own.insert(own.end(), globals.begin(), globals.end());
  absl::StrAppend(&commands, "    \"", path, "\") echo \"", absl::StrJoin(names, " "), "\" ;;\n");
  absl::StrAppend(&options, "    \"", path, "\") echo \"", absl::StrJoin(own, " "), "\" ;;\n");
}

std::string BashScript(CLI::App& app) {
  std::string commands, options;
  AddArms(app, "", OptionNames(app), commands, options);
  return absl::StrCat(R"sh(# bash completion for vpvm: source <(vpvm completion bash)
_vpvm_commands() {
  case "$1" in
)sh",
                      commands, R"sh(  esac
}
_vpvm_options() {
  case "$1" in
)sh",
                      options, R"sh(  esac
}
_vpvm() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case " $(_vpvm_commands "$path") " in
      *" $word "*) path="${path:+$path }$word" ;;
    esac
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_vpvm_options "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_vpvm_commands "$path")" -- "$cur"))
  fi
}
complete -F _vpvm vpvm
)sh");
}

}  // namespace

void AddCompletionCommand(CLI::App& app, Cli& cli) {
  CLI::App* completion = AddVerb(app, "completion", "print a shell completion script",
                                 "source <(vpvm completion bash)");
  auto shell = std::make_shared<std::string>();
  completion->add_option("SHELL", *shell, "bash")->required()->check(CLI::IsMember({"bash"}));
  completion->callback([&app, &cli] {
    cli.SetAction([&app, &cli]() -> absl::Status {
      cli.Print(BashScript(app));
      return absl::OkStatus();
    });
  });
}

}  // namespace vpvm::cli
