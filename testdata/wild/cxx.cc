/*
 * cxx.cc - C++ names: namespaces, a class template, an operator, an anonymous
 * namespace, a lambda, std::function; the crash (SIGSEGV) is deep in them.
 *   cxx            crash
 *   cxx throw      an uncaught exception: std::terminate -> abort
 */
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace corekit { namespace wild {

template <typename T> struct Box {
	T *p;
	__attribute__((noinline)) T operator*() const { return *p; }	/* faults */
	__attribute__((noinline)) Box operator+(int k) const
	{
		Box b{p};
		if (k > 1000)
			b.p = nullptr;
		return b;
	}
};

namespace {
__attribute__((noinline)) int deref(const Box<int> &b, const std::string &why)
{
	return *(b + (int)why.size() * 1000) + 1;
}
}

__attribute__((noinline)) int cxxfunc(int n)
{
	static int v = 3;
	Box<int> b{&v};
	std::function<int(int)> f = [&](int k) { return deref(b, std::string(k, 'x')) + k; };
	return f(n);
}

__attribute__((noinline)) void thrower(const std::vector<int> &v)
{
	if (v.size() < 5)
		throw std::runtime_error("not enough");
}

} }

int main(int argc, char **argv)
{
	std::printf("pid=%d\n", (int)getpid());
	std::fflush(stdout);
	if (argc > 1 && std::strcmp(argv[1], "throw") == 0) {
		corekit::wild::thrower(std::vector<int>(argc));
		return 0;
	}
	return corekit::wild::cxxfunc(argc + 2);
}
