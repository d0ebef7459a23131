#include "pg_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

namespace omni::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Every command is bounded: a server that does not come up fails the test instead of hanging it.
constexpr int kCommandTimeoutSeconds = 60;
constexpr const char* kFolderPrefix = "omni-pg-";
constexpr const char* kSuperuser = "omni";

std::string quote_shell(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A value in a libpq connection string.
std::string quote_conninfo(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& text, std::size_t max_chars = 4000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

bool is_executable(const fs::path& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

// The user initdb and pg_ctl run as: PostgreSQL refuses to run as root.
std::string server_user() {
  if (::geteuid() != 0) return "";
  for (const char* name : {"postgres", "nobody"})
    if (::getpwnam(name) != nullptr) return name;
  throw PgServerError(
      "running as root, and neither the user postgres nor nobody exists to run PostgreSQL as; "
      "scripts/install-deps.sh installs the postgresql package, which creates postgres");
}

// The temp dir, unless a socket path in it would be too long for sun_path (108 bytes).
fs::path temp_parent() {
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec || dir.string().size() > 60) dir = "/tmp";
  return dir;
}

// 1 in 4000 that two servers share a port number; harmless anyway, as each has its own socket
// folder and no TCP listener.
int random_port() {
  std::random_device device;
  return std::uniform_int_distribution<int>(20000, 59999)(device);
}

}  // namespace

bool process_alive(int pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // A zombie (not reaped yet, e.g. by a container's init) is gone too: state "Z" in
  // /proc/<pid>/stat, after the parenthesized command name.
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || stat.compare(paren, 3, ") Z") != 0;
}

namespace {

// Stops the server of a data dir without pg_ctl (whose user may be another): SIGQUIT is
// PostgreSQL's immediate shutdown. Checks that the pid is a postgres process first.
void quit_postmaster(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return;
  const std::string comm = read_text("/proc/" + std::to_string(pid) + "/comm");
  if (comm.rfind("postgres", 0) != 0) return;
  ::kill(static_cast<pid_t>(pid), SIGQUIT);
  for (int i = 0; i < 100 && process_alive(static_cast<pid_t>(pid)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string pq_error(pg_conn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  return message;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The conninfo without its dbname (any other keyword kept).
std::string strip_dbname(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw PgServerError("invalid PostgreSQL conninfo \"" + conninfo + "\": " + message);
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
    if (!out.empty()) out += ' ';
    out += std::string(o->keyword) + "=" + quote_conninfo(o->val);
  }
  PQconninfoFree(options);
  return out;
}

}  // namespace

fs::path find_pg_bin_dir() {
  auto has_binaries = [](const fs::path& dir) {
    return is_executable(dir / "initdb") && is_executable(dir / "pg_ctl");
  };
  if (const char* env = std::getenv("OMNI_PG_BIN"); env != nullptr && *env != '\0') {
    if (has_binaries(env)) return env;
    throw PgServerError(std::string("OMNI_PG_BIN=") + env + " has no initdb and pg_ctl");
  }
  const fs::path debian = "/usr/lib/postgresql";
  if (has_binaries(debian / "15" / "bin")) return debian / "15" / "bin";
  std::error_code ec;
  std::vector<std::pair<int, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(debian, ec)) {
    const std::string version = entry.path().filename().string();
    if (has_binaries(entry.path() / "bin") && !version.empty() &&
        std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; }))
      found.emplace_back(std::stoi(version), entry.path() / "bin");
  }
  if (!found.empty()) return std::max_element(found.begin(), found.end())->second;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && has_binaries(dir)) return dir;
  }
  throw PgServerError(
      "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin, "
      "$OMNI_PG_BIN or PATH: run scripts/install-deps.sh (it installs the postgresql package)");
}

void remove_stale_pg_servers() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(temp_parent(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kFolderPrefix, 0) != 0) continue;
    // omni-pg-<pid>-XXXXXX; the fixture's omni-pg-fixture-* is stopped by the fixture itself.
    const std::string rest = name.substr(std::char_traits<char>::length(kFolderPrefix));
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos ||
        !std::all_of(rest.begin(), rest.begin() + static_cast<long>(dash),
                     [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (pid == ::getpid() || process_alive(pid)) continue;
    quit_postmaster(entry.path() / "data");
    // Another test process may be removing the same folder (remove_all stops at the first entry
    // that vanished underneath it): go on until it is gone.
    for (int attempt = 0; attempt < 40; ++attempt) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
      if (!fs::exists(entry.path(), ignored)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

PgServer::~PgServer() {
  if (!released_) stop();
  std::lock_guard lock(mutex_);
  if (admin_ != nullptr) PQfinish(admin_);
}

void PgServer::run(const std::string& what, const std::string& command) const {
  const fs::path log = folder_ / "commands.log";
  const std::string line = "cd " + quote_shell(folder_.string()) + " && timeout " +
                           std::to_string(kCommandTimeoutSeconds) + " " +
                           (run_as_.empty() ? "" : "runuser -u " + run_as_ + " -- ") + command +
                           " >>" + quote_shell(log.string()) + " 2>&1 </dev/null";
  { std::ofstream(log, std::ios::app) << "$ " << command << "\n"; }
  const int status = std::system(line.c_str());
  if (status != 0) {
    std::string message = what + " failed (" + command + ", exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "):\n" +
                          tail(read_text(log));
    const std::string server_log = read_text(folder_ / "log");
    if (!server_log.empty()) message += "\nserver log:\n" + tail(server_log);
    throw PgServerError(message);
  }
}

void PgServer::start(const std::string& folder_prefix) {
  if (running()) throw PgServerError("PgServer::start: already running");
  const auto started = Clock::now();
  bin_dir_ = find_pg_bin_dir();
  run_as_ = server_user();
  remove_stale_pg_servers();

  const std::string prefix =
      folder_prefix.empty() ? kFolderPrefix + std::to_string(::getpid()) + "-" : folder_prefix;
  std::string pattern = (temp_parent() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw PgServerError("cannot create a folder " + pattern + ": " + std::strerror(errno));
  folder_ = pattern;
  released_ = false;
  try {
    if (!run_as_.empty()) {
      const passwd* user = ::getpwnam(run_as_.c_str());
      if (user == nullptr || ::chown(folder_.c_str(), user->pw_uid, user->pw_gid) != 0)
        throw PgServerError("cannot give " + folder_.string() + " to the user " + run_as_);
    }
    const std::string data = quote_shell((folder_ / "data").string());
    const std::string initdb = quote_shell((bin_dir_ / "initdb").string()) + " -D " + data +
                               " -U " + kSuperuser +
                               " --auth=trust -E UTF8 --no-sync --no-instructions";
    try {
      run("initdb", initdb + " --locale=C.UTF-8");
    } catch (const PgServerError&) {
      // A system without the C.UTF-8 locale.
      std::error_code ignored;
      fs::remove_all(folder_ / "data", ignored);
      run("initdb", initdb + " --no-locale");
    }
    port_ = random_port();
    const std::string options =
        "-k " + folder_.string() + " -p " + std::to_string(port_) +
        " -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200 -c max_wal_size=128MB"
        " -c shared_buffers=32MB";
    run("pg_ctl start", quote_shell((bin_dir_ / "pg_ctl").string()) + " -D " + data + " -l " +
                            quote_shell((folder_ / "log").string()) + " -o " +
                            quote_shell(options) + " -w -t " +
                            std::to_string(kCommandTimeoutSeconds) + " start");
  } catch (...) {
    quit_postmaster(folder_ / "data");
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
    folder_.clear();
    throw;
  }
  base_conninfo_ = "host=" + quote_conninfo(folder_.string()) + " port=" + std::to_string(port_) +
                   " user=" + kSuperuser;
  startup_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
}

void PgServer::attach(const std::string& conninfo) {
  if (running()) throw PgServerError("PgServer::attach: already running");
  const std::string base = strip_dbname(conninfo);
  const std::string maintenance = base + " dbname=postgres";
  if (PQping(maintenance.c_str()) != PQPING_OK)
    throw PgServerError("no PostgreSQL server answers at \"" + maintenance + "\"");
  base_conninfo_ = base;
}

void PgServer::stop() {
  std::lock_guard lock(mutex_);
  if (admin_ != nullptr) {
    if (!owns_process()) {
      for (const std::string& name : created_) {
        ResultPtr(PQexec(
            admin_,
            ("DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)").c_str()));
      }
    }
    PQfinish(admin_);
    admin_ = nullptr;
  }
  created_.clear();
  if (owns_process()) {
    try {
      run("pg_ctl stop", quote_shell((bin_dir_ / "pg_ctl").string()) + " -D " +
                             quote_shell((folder_ / "data").string()) + " -m immediate -w -t " +
                             std::to_string(kCommandTimeoutSeconds) + " stop");
    } catch (const PgServerError&) {
      quit_postmaster(folder_ / "data");
    }
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
    folder_.clear();
  }
  base_conninfo_.clear();
  released_ = false;
}

void PgServer::release() {
  std::lock_guard lock(mutex_);
  if (admin_ != nullptr) PQfinish(admin_);
  admin_ = nullptr;
  released_ = true;
}

std::string PgServer::conninfo(const std::string& database) const {
  if (!running()) throw PgServerError("PgServer: not running");
  return base_conninfo_ + " dbname=" + quote_conninfo(database);
}

pg_conn* PgServer::admin() {
  if (admin_ != nullptr && PQstatus(admin_) == CONNECTION_OK) return admin_;
  if (admin_ != nullptr) PQfinish(admin_);
  admin_ = PQconnectdb(conninfo().c_str());
  if (PQstatus(admin_) != CONNECTION_OK) {
    const std::string message = pq_error(admin_);
    PQfinish(admin_);
    admin_ = nullptr;
    throw PgServerError("cannot connect to the test server (" + conninfo() + "): " + message);
  }
  // No "database ... does not exist, skipping" notices in the test output.
  PQsetNoticeProcessor(
      admin_, [](void*, const char*) {}, nullptr);
  return admin_;
}

void PgServer::execute(const std::string& sql) {
  pg_conn* conn = admin();
  ResultPtr result(PQexec(conn, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK &&
      PQresultStatus(result.get()) != PGRES_TUPLES_OK)
    throw PgServerError(sql + ": " + pq_error(conn));
}

std::string PgServer::create_database(const std::string& name) {
  std::lock_guard lock(mutex_);
  execute("DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)");
  execute("CREATE DATABASE " + quote_identifier(name));
  if (std::find(created_.begin(), created_.end(), name) == created_.end()) created_.push_back(name);
  return conninfo(name);
}

std::string PgServer::create_unique_database(const std::string& stem) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}() % 0x10000;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", salt);
  return create_database(stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
                         "_" + suffix);
}

void PgServer::drop_database(const std::string& name) {
  std::lock_guard lock(mutex_);
  execute("DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)");
  created_.erase(std::remove(created_.begin(), created_.end(), name), created_.end());
}

void PgServer::drop_idle_databases() {
  std::lock_guard lock(mutex_);
  if (created_.empty()) return;
  pg_conn* conn = admin();
  std::vector<std::string> kept;
  for (const std::string& name : created_) {
    const char* params[] = {name.c_str()};
    ResultPtr busy(PQexecParams(conn, "SELECT 1 FROM pg_stat_activity WHERE datname = $1", 1,
                                nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(busy.get()) != PGRES_TUPLES_OK || PQntuples(busy.get()) > 0) {
      kept.push_back(name);
      continue;
    }
    ResultPtr(PQexec(conn, ("DROP DATABASE IF EXISTS " + quote_identifier(name)).c_str()));
  }
  created_ = std::move(kept);
}

std::string PgServer::database_name_of(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  std::string name;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o)
    if (std::string(o->keyword) == "dbname" && o->val != nullptr) name = o->val;
  PQconninfoFree(options);
  return name;
}

// The state file: one "key=value" a line.
void PgServer::save_state(const fs::path& file) const {
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "folder=" << folder_.string() << "\n"
        << "bin=" << bin_dir_.string() << "\n"
        << "user=" << run_as_ << "\n"
        << "port=" << port_ << "\n"
        << "conninfo=" << conninfo() << "\n";
    if (!out) throw PgServerError("cannot write " + temporary.string());
  }
  fs::rename(temporary, file);  // whole or nothing for the processes that read it
}

namespace {
std::string state_value(const std::string& state, const std::string& key) {
  std::istringstream lines(state);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return "";
}
}  // namespace

void PgServer::adopt_state(const fs::path& file) {
  if (running()) throw PgServerError("PgServer::adopt_state: already running");
  const std::string state = read_text(file);
  if (state_value(state, "folder").empty())
    throw PgServerError("no PostgreSQL server state in " + file.string());
  folder_ = state_value(state, "folder");
  bin_dir_ = state_value(state, "bin");
  run_as_ = state_value(state, "user");
  port_ = std::atoi(state_value(state, "port").c_str());
  base_conninfo_ = strip_dbname(state_value(state, "conninfo"));
  released_ = false;
}

std::string PgServer::conninfo_from_state(const fs::path& file) {
  return state_value(read_text(file), "conninfo");
}

namespace {
struct Shared {
  std::mutex mutex;
  std::unique_ptr<PgServer> server;
  std::string error;  // of the first failed start
};
Shared& shared() {
  static Shared instance;
  return instance;
}
}  // namespace

PgServer& shared_pg_server() {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.server) return *s.server;
  if (!s.error.empty()) throw PgServerError(s.error);
  auto server = std::make_unique<PgServer>();
  try {
    const char* external = std::getenv("OMNI_PG_CONNINFO");
    const char* state_file = std::getenv("OMNI_PG_SERVER_FILE");
    if (external != nullptr && *external != '\0') {
      server->attach(external);
    } else if (state_file != nullptr && *state_file != '\0' && fs::exists(state_file)) {
      server->attach(PgServer::conninfo_from_state(state_file));
    } else {
      server->start();
    }
  } catch (const PgServerError& e) {
    s.error = e.what();
    throw;
  }
  s.server = std::move(server);
  return *s.server;
}

void stop_shared_pg_server() {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.server) s.server->stop();
  s.server.reset();
}

}  // namespace omni::testing
